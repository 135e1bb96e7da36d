package push

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walletwallet/walletwallet"
)

// fakeQueue is an in-memory Queue with the Store's lease rules; the real
// stores are tested against the same rules in internal/store.
type fakeQueue struct {
	mu       sync.Mutex
	now      func() time.Time
	regs     map[string][]walletwallet.PushTarget // "passTypeID/serial" → sorted by id
	nextReg  int64
	jobs     []*fakeJob
	deleted  []string
	advances []int64
	extends  []time.Time
	claims   atomic.Int64
	// extendHook, if set, may replace ExtendPushLease's answer.
	extendHook func(jobID int64, owner string) error
}

type fakeJob struct {
	walletwallet.PushJob
	owner      string
	leaseUntil time.Time
	done       bool
}

func newFakeQueue(now func() time.Time) *fakeQueue {
	if now == nil {
		now = time.Now
	}
	return &fakeQueue{now: now, regs: map[string][]walletwallet.PushTarget{}}
}

// addPass registers tokens for a pass and enqueues one job for it.
func (q *fakeQueue) addPass(passTypeID, serial string, tokens []string) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := passTypeID + "/" + serial
	for _, tok := range tokens {
		q.nextReg++
		q.regs[k] = append(q.regs[k], walletwallet.PushTarget{RegistrationID: q.nextReg, PushToken: tok})
	}
	return q.enqueueLocked(passTypeID, serial)
}

func (q *fakeQueue) enqueue(passTypeID, serial string) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.enqueueLocked(passTypeID, serial)
}

func (q *fakeQueue) enqueueLocked(passTypeID, serial string) int64 {
	j := &fakeJob{PushJob: walletwallet.PushJob{
		ID: int64(len(q.jobs) + 1), PassTypeID: passTypeID, Serial: serial, CreatedAt: q.now(),
	}}
	q.jobs = append(q.jobs, j)
	return j.ID
}

func (q *fakeQueue) job(id int64) fakeJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.jobs[id-1]
}

// steal hands a job to another owner, as a takeover after a missed lease would.
func (q *fakeQueue) steal(id int64, owner string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs[id-1].owner = owner
	q.jobs[id-1].leaseUntil = q.now().Add(time.Hour)
}

func (q *fakeQueue) ClaimPushJob(_ context.Context, owner string, now, leaseUntil time.Time) (*walletwallet.PushJob, error) {
	defer q.claims.Add(1)
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.done || (j.owner != "" && now.Before(j.leaseUntil)) {
			continue
		}
		j.owner, j.leaseUntil = owner, leaseUntil
		j.Attempts++
		c := j.PushJob
		return &c, nil
	}
	return nil, nil
}

func (q *fakeQueue) ExtendPushLease(_ context.Context, jobID int64, owner string, leaseUntil time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.extendHook != nil {
		if err := q.extendHook(jobID, owner); err != nil {
			return err
		}
	}
	j := q.jobs[jobID-1]
	if j.owner != owner || j.done {
		return walletwallet.Errorf(walletwallet.ECONFLICT, "lease lost")
	}
	j.leaseUntil = leaseUntil
	q.extends = append(q.extends, leaseUntil)
	return nil
}

func (q *fakeQueue) PushTargets(_ context.Context, passTypeID, serial string, afterID int64, limit int) ([]walletwallet.PushTarget, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	regs := q.regs[passTypeID+"/"+serial]
	i := sort.Search(len(regs), func(i int) bool { return regs[i].RegistrationID > afterID })
	end := min(i+limit, len(regs))
	return append([]walletwallet.PushTarget(nil), regs[i:end]...), nil
}

func (q *fakeQueue) AdvancePushJob(_ context.Context, jobID int64, owner string, cursor int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.jobs[jobID-1]
	if j.owner != owner || j.done {
		return walletwallet.Errorf(walletwallet.ECONFLICT, "lease lost")
	}
	j.Cursor = cursor
	q.advances = append(q.advances, cursor)
	return nil
}

func (q *fakeQueue) FinishPushJob(_ context.Context, jobID int64, owner string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.jobs[jobID-1]
	if j.owner != owner || j.done {
		return walletwallet.Errorf(walletwallet.ECONFLICT, "lease lost")
	}
	j.done = true
	return nil
}

func (q *fakeQueue) DeleteRegistrationsByToken(_ context.Context, token string) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for k, regs := range q.regs {
		kept := regs[:0]
		for _, r := range regs {
			if r.PushToken == token {
				n++
			} else {
				kept = append(kept, r)
			}
		}
		q.regs[k] = kept
	}
	q.deleted = append(q.deleted, token)
	return n, nil
}

func (q *fakeQueue) registered(passTypeID, serial string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.regs[passTypeID+"/"+serial])
}
