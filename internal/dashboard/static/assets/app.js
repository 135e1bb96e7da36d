// WalletWallet dashboard. Plain DOM code, no framework and no markup built
// from strings: every value from the server goes through textContent, so a
// customer string can never become HTML.
"use strict";

(function () {
  const KEY = "walletwallet.apiKey";
  const $ = (id) => document.getElementById(id);
  const views = ["signin", "usage", "passes", "pass", "designer", "templates", "webhooks"];
  // Which optional endpoints this server has (probed after sign-in).
  const has = { passes: false, templates: false, webhooks: false };

  const example = {
    barcodeValue: "LOYALTY-98765",
    barcodeFormat: "QR",
    logoText: "Bayroast Coffee",
    organizationName: "Bayroast Coffee Co.",
    description: "Bayroast loyalty card",
    colorPreset: "dark",
    headerFields: [{ label: "BALANCE", value: "$25.00" }],
    primaryFields: [{ label: "CARD", value: "Coffee Rewards" }],
    secondaryFields: [{ label: "POINTS", value: "250" }, { label: "TIER", value: "Gold" }],
    backFields: [{ label: "TERMS", value: "Points expire after 90 days of inactivity." }],
  };

  function key() { return sessionStorage.getItem(KEY) || ""; }

  // ApiError carries the HTTP status and the API's message.
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // api calls the public API on this origin with the key; answers that are
  // not 2xx become ApiError with the server's {"error"} text.
  async function api(method, path, body, accept) {
    const headers = { Authorization: "Bearer " + key() };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (!res.ok) {
      let msg = res.status + " " + res.statusText;
      try { const j = await res.json(); if (j && typeof j.error === "string") msg = j.error; } catch (e) { /* not JSON */ }
      throw new ApiError(res.status, msg);
    }
    if (accept === "blob") return res;
    if (res.status === 204) return null;
    return res.json();
  }

  function show(el, on) { el.hidden = !on; }
  function setError(el, err) {
    if (!err) { el.textContent = ""; el.hidden = true; return; }
    el.textContent = err.message || String(err);
    el.hidden = false;
  }
  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value === undefined || value === null ? "" : String(value);
    if (cls) el.className = cls;
    return el;
  }
  function when(ms) {
    if (typeof ms !== "number") return "–";
    return new Date(ms).toLocaleString();
  }

  // Object URLs of preview images, revoked when replaced.
  function setImage(img, blob) {
    const old = img.dataset.url;
    const url = URL.createObjectURL(blob);
    img.dataset.url = url;
    img.src = url;
    if (old) URL.revokeObjectURL(old);
  }

  // ---- routing ----

  function route() {
    const h = location.hash.replace(/^#\/?/, "");
    const [name, ...rest] = h.split("/");
    if (!key()) return showView("signin");
    switch (name) {
      case "passes": if (has.passes) return showView("passes", loadPasses);
        break;
      case "pass": if (rest[0]) return showView("pass", () => loadPass(decodeURIComponent(rest[0])));
        break;
      case "designer": return showView("designer", startDesigner);
      case "templates": if (has.templates) return showView("templates", loadTemplates);
        break;
      case "webhooks": if (has.webhooks) return showView("webhooks", loadWebhooks);
        break;
    }
    showView("usage", loadUsage);
  }

  function showView(name, load) {
    for (const v of views) show($("view-" + v), v === name);
    show($("nav"), name !== "signin");
    for (const a of document.querySelectorAll("#nav a")) {
      a.classList.toggle("active", a.dataset.view === name || (name === "pass" && a.dataset.view === "passes"));
    }
    document.body.dataset.view = name;
    if (load) load();
  }

  // ---- sign in ----

  async function probe(path) {
    try { await api("GET", path); return true; } catch (e) { return e.status !== 404 && e.status !== 405; }
  }

  async function afterSignIn() {
    const [p, t, w] = await Promise.all([probe("/api/passes?limit=1"), probe("/api/templates"), probe("/api/webhooks")]);
    has.passes = p; has.templates = t; has.webhooks = w;
    show($("nav-passes"), p);
    show($("nav-templates"), t);
    show($("nav-webhooks"), w);
    document.body.dataset.ready = "true";
  }

  async function signIn(ev) {
    ev.preventDefault();
    const k = $("signin-key").value.trim();
    setError($("signin-error"), null);
    sessionStorage.setItem(KEY, k);
    try {
      await api("GET", "/api/auth/usage");
    } catch (e) {
      sessionStorage.removeItem(KEY);
      setError($("signin-error"), e.status === 401 ? new Error("That key was not accepted: " + e.message) : e);
      return;
    }
    $("signin-key").value = "";
    await afterSignIn();
    location.hash = "#/usage";
    route();
  }

  function signOut() {
    sessionStorage.removeItem(KEY);
    document.body.dataset.ready = "";
    location.hash = "";
    route();
  }

  // ---- usage ----

  async function loadUsage() {
    setError($("usage-error"), null);
    try {
      const u = await api("GET", "/api/auth/usage");
      $("usage-count").textContent = String(u.count);
      $("usage-limit").textContent = String(u.limit);
      $("usage-remaining").textContent = String(u.remaining);
      $("usage-plan").textContent = String(u.plan);
      $("usage-reset").textContent = String(u.resetDate);
      const pct = u.limit > 0 ? Math.min(100, (100 * u.count) / u.limit) : 0;
      $("usage-bar").style.width = pct + "%";
      $("view-usage").dataset.loaded = "true";
    } catch (e) { setError($("usage-error"), e); }
  }

  // ---- passes ----

  let cursor = null;

  async function loadPasses(more) {
    setError($("passes-error"), null);
    const body = $("passes-body");
    if (!more) { body.textContent = ""; cursor = null; }
    const status = $("passes-status").value;
    let q = "?limit=50";
    if (status) q += "&status=" + encodeURIComponent(status);
    if (more && cursor) q += "&cursor=" + encodeURIComponent(cursor);
    try {
      const page = await api("GET", "/api/passes" + q);
      for (const p of page.passes || []) {
        const tr = document.createElement("tr");
        tr.dataset.serial = p.serialNumber;
        const td = document.createElement("td");
        const a = text("a", p.serialNumber);
        a.href = "#/pass/" + encodeURIComponent(p.serialNumber);
        td.appendChild(a);
        tr.appendChild(td);
        tr.appendChild(text("td", p.status, "status-" + p.status));
        tr.appendChild(text("td", p.devices));
        tr.appendChild(text("td", when(p.lastUpdated)));
        body.appendChild(tr);
      }
      cursor = page.nextCursor || null;
      show($("passes-more"), !!cursor);
      show($("passes-empty"), body.children.length === 0);
      $("view-passes").dataset.loaded = "true";
    } catch (e) { setError($("passes-error"), e); }
  }

  // ---- one pass ----

  let current = null;
  let passSide = "front";

  async function loadPass(serial) {
    current = serial;
    passSide = "front";
    setError($("pass-error"), null);
    $("pass-serial").textContent = serial;
    $("view-pass").dataset.loaded = "";
    $("pass-fields").textContent = "";
    show($("pass-void"), false);
    await Promise.all([loadPassPreview(), loadPassFacts()]);
    $("view-pass").dataset.loaded = "true";
  }

  async function loadPassPreview() {
    const serial = current;
    $("pass-front").classList.toggle("active", passSide === "front");
    $("pass-backside").classList.toggle("active", passSide === "back");
    try {
      const q = passSide === "back" ? "?side=back" : "";
      const res = await api("GET", "/api/passes/" + encodeURIComponent(serial) + "/preview.png" + q, undefined, "blob");
      if (serial === current) setImage($("pass-preview"), await res.blob());
    } catch (e) { setError($("pass-error"), e); }
  }

  const places = [
    ["headerFields", "header"], ["primaryFields", "primary"], ["secondaryFields", "secondary"],
    ["auxiliaryFields", "auxiliary"], ["backFields", "back"], ["additionalInfoFields", "info"],
  ];

  async function loadPassFacts() {
    show($("pass-facts"), has.passes);
    show($("pass-fields-box"), has.passes);
    if (!has.passes) return;
    try {
      const p = await api("GET", "/api/passes/" + encodeURIComponent(current));
      $("pass-status").textContent = p.status;
      $("pass-status").className = "status-" + p.status;
      $("pass-devices").textContent = String(p.devices);
      $("pass-installs").textContent = String(p.installs);
      $("pass-created").textContent = when(p.createdAt);
      $("pass-updated").textContent = when(p.lastUpdated);
      const share = $("pass-share");
      share.textContent = p.shareUrl || "";
      if (p.shareUrl && /^https?:\/\//.test(p.shareUrl)) share.href = p.shareUrl; else share.removeAttribute("href");
      const body = $("pass-fields");
      body.textContent = "";
      const req = p.request || {};
      for (const [arr, place] of places) {
        const fields = Array.isArray(req[arr]) ? req[arr] : [];
        fields.forEach((f, i) => {
          const tr = document.createElement("tr");
          tr.appendChild(text("td", place + " " + (i + 1)));
          tr.appendChild(text("td", f && f.label));
          tr.appendChild(text("td", f && f.value));
          body.appendChild(tr);
        });
      }
      show($("pass-void"), p.status === "active");
    } catch (e) { setError($("pass-error"), e); }
  }

  function askVoid() {
    $("void-dialog").showModal();
  }

  async function voidClosed() {
    if ($("void-dialog").returnValue !== "void") return;
    try {
      await api("DELETE", "/api/passes/" + encodeURIComponent(current));
      await loadPass(current);
    } catch (e) { setError($("pass-error"), e); }
  }

  // ---- designer ----

  let designerStarted = false;
  let previewSeq = 0;
  let previewTimer = 0;
  let designerSide = "front";
  let download = null;

  function startDesigner() {
    if (!designerStarted) {
      designerStarted = true;
      $("designer-json").value = JSON.stringify(example, null, 2);
      syncInputs();
    }
    schedulePreview(0);
  }

  // syncInputs copies the JSON's simple fields into the form inputs.
  function syncInputs() {
    let body;
    try { body = JSON.parse($("designer-json").value); } catch (e) { return; }
    for (const el of document.querySelectorAll("#designer-form [data-field]")) {
      const v = body[el.dataset.field];
      if (typeof v === "string" && el.value !== v) el.value = v;
    }
  }

  // inputChanged writes one form input into the JSON.
  function inputChanged(ev) {
    const el = ev.target;
    let body;
    try { body = JSON.parse($("designer-json").value); } catch (e) { body = {}; }
    if (el.value === "") delete body[el.dataset.field]; else body[el.dataset.field] = el.value;
    $("designer-json").value = JSON.stringify(body, null, 2);
    schedulePreview(250);
  }

  function schedulePreview(ms) {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, ms);
  }

  function clearFieldErrors() {
    for (const el of document.querySelectorAll("#designer-form .field-error")) { el.textContent = ""; el.hidden = true; }
    for (const el of document.querySelectorAll("#designer-form [data-field]")) el.removeAttribute("aria-invalid");
  }

  // showDesignerError puts the API's message beside the form, and under the
  // input of the field it names when there is one.
  function showDesignerError(err) {
    clearFieldErrors();
    setError($("designer-error"), err);
    if (!err) return;
    const m = /^(?:[A-Za-z]+\[\d+\]\.)?([A-Za-z]+)\b/.exec(err.message || "");
    if (m) {
      const input = document.querySelector('#designer-form [data-field="' + m[1] + '"]');
      const slot = $("err-" + m[1]);
      if (input && slot) {
        input.setAttribute("aria-invalid", "true");
        slot.textContent = err.message;
        slot.hidden = false;
      }
    }
  }

  function designerBody() {
    const raw = $("designer-json").value;
    try { JSON.parse(raw); } catch (e) { throw new ApiError(0, "The JSON does not parse: " + e.message); }
    return raw;
  }

  async function runPreview() {
    const seq = ++previewSeq;
    const img = $("designer-preview");
    $("designer-status").textContent = "Drawing…";
    try {
      const q = designerSide === "back" ? "?side=back" : "";
      const res = await api("POST", "/api/preview" + q, designerBody(), "blob");
      const blob = await res.blob();
      if (seq !== previewSeq) return; // a newer edit is on its way
      setImage(img, blob);
      img.classList.remove("stale");
      showDesignerError(null);
      $("designer-status").textContent = "Preview of the " + designerSide + ", as Wallet lays it out.";
      img.dataset.seq = String(seq);
    } catch (e) {
      if (seq !== previewSeq) return;
      img.classList.add("stale");
      showDesignerError(e);
      $("designer-status").textContent = "The preview shows the last valid version.";
    }
  }

  function b64ToBlob(b64, type) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type });
  }

  async function createPass(ev) {
    ev.preventDefault();
    showDesignerError(null);
    show($("designer-created"), false);
    try {
      const body = designerBody();
      let serial, blob;
      if (has.passes) {
        const ans = await api("POST", "/api/passes", body);
        serial = ans.serialNumber;
        blob = b64ToBlob(ans.applePass, "application/vnd.apple.pkpass");
      } else {
        const res = await api("POST", "/api/pkpass", body, "blob");
        serial = res.headers.get("X-Serial-Number");
        blob = await res.blob();
      }
      const a = $("designer-download");
      if (download) URL.revokeObjectURL(download);
      download = URL.createObjectURL(blob);
      a.href = download;
      a.download = (serial || "pass") + ".pkpass";
      show(a, true);
      const link = $("designer-created-link");
      link.textContent = serial || "";
      link.href = "#/pass/" + encodeURIComponent(serial || "");
      show($("designer-created"), true);
      $("designer-created").dataset.serial = serial || "";
    } catch (e) { showDesignerError(e); }
  }

  function toggleDesignerSide() {
    designerSide = designerSide === "front" ? "back" : "front";
    $("designer-back").textContent = designerSide === "front" ? "Show back" : "Show front";
    schedulePreview(0);
  }

  // ---- templates and webhooks (shown only when the server has them) ----

  async function loadTemplates() {
    setError($("templates-error"), null);
    const body = $("templates-body");
    body.textContent = "";
    try {
      const ans = await api("GET", "/api/templates");
      for (const t of ans.templates || []) {
        const tr = document.createElement("tr");
        tr.appendChild(text("td", t.name));
        tr.appendChild(text("td", (t.placeholders || []).join(", ")));
        tr.appendChild(text("td", t.passes));
        body.appendChild(tr);
      }
    } catch (e) { setError($("templates-error"), e); }
  }

  async function loadWebhooks() {
    setError($("webhooks-error"), null);
    const body = $("webhooks-body");
    body.textContent = "";
    try {
      const ans = await api("GET", "/api/webhooks");
      for (const h of ans.webhooks || []) {
        const tr = document.createElement("tr");
        tr.appendChild(text("td", h.url));
        tr.appendChild(text("td", (h.events || []).join(", ")));
        tr.appendChild(text("td", when(h.createdAt)));
        body.appendChild(tr);
      }
    } catch (e) { setError($("webhooks-error"), e); }
  }

  // ---- start ----

  document.addEventListener("DOMContentLoaded", async () => {
    $("signin-form").addEventListener("submit", signIn);
    $("signout").addEventListener("click", signOut);
    $("passes-status").addEventListener("change", () => loadPasses(false));
    $("passes-more").addEventListener("click", () => loadPasses(true));
    $("pass-front").addEventListener("click", () => { passSide = "front"; loadPassPreview(); });
    $("pass-backside").addEventListener("click", () => { passSide = "back"; loadPassPreview(); });
    $("pass-void").addEventListener("click", askVoid);
    $("void-dialog").addEventListener("close", voidClosed);
    $("designer-json").addEventListener("input", () => { syncInputs(); schedulePreview(400); });
    for (const el of document.querySelectorAll("#designer-form [data-field]")) {
      el.addEventListener(el.tagName === "SELECT" ? "change" : "input", inputChanged);
    }
    $("designer-form").addEventListener("submit", createPass);
    $("designer-back").addEventListener("click", toggleDesignerSide);
    window.addEventListener("hashchange", route);
    fetch("/signup", { method: "HEAD" }).then((r) => show($("signup-offer"), r.ok)).catch(() => {});
    if (key()) {
      try { await afterSignIn(); } catch (e) { /* shown by the view */ }
    }
    route();
  });
})();
