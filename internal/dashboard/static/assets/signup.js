// The signup page: POST /api/signup, then show the key once and offer to
// open the dashboard signed in with it (same tab, so sessionStorage carries it).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let apiKey = "";

  async function submit(ev) {
    ev.preventDefault();
    const err = $("signup-error");
    err.hidden = true;
    $("signup-submit").disabled = true;
    try {
      const res = await fetch("/api/signup", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: $("signup-email").value.trim() }),
      });
      const ans = await res.json().catch(() => ({}));
      if (res.status !== 201) {
        err.textContent = typeof ans.error === "string" ? ans.error : res.status + " " + res.statusText;
        err.hidden = false;
        return;
      }
      apiKey = ans.apiKey;
      $("signup-key").textContent = ans.apiKey;
      $("signup-account").textContent = String(ans.accountId);
      $("signup-trial").textContent = new Date(ans.trialEndsAt).toLocaleDateString();
      $("signup-form").hidden = true;
      $("signup-done").hidden = false;
    } catch (e) {
      err.textContent = String(e.message || e);
      err.hidden = false;
    } finally {
      $("signup-submit").disabled = false;
    }
  }

  function open() {
    sessionStorage.setItem("walletwallet.apiKey", apiKey);
    location.href = "/#/usage";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signup-form").addEventListener("submit", submit);
    $("signup-open").addEventListener("click", open);
  });
})();
