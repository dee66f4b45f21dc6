/* The registry's script for every page (no inline scripts or styles: the Content-Security-Policy,
   settings.CONTENT_SECURITY_POLICY, allows scripts and styles only from static files).
   Every page works without it; it only improves the htmx updates. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function warn(target, text) {
    if (!target) { return; }
    var note = document.createElement("p");
    note.className = "notice notice-error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    target.prepend(note);
  }

  // A multi-choice filter's summary says how many values are ticked ("2 chosen" / "Any"),
  // also after a change that htmx handles without re-rendering the form.
  function updateDropdownSummary(details) {
    var summary = details.querySelector("summary");
    if (!summary) { return; }
    var chosen = details.querySelectorAll("input[type=checkbox]:checked").length;
    summary.textContent = chosen ? chosen + " chosen" : "Any";
  }

  ready(function () {
    document.addEventListener("change", function (event) {
      var details = event.target.closest && event.target.closest("details.dropdown");
      if (details) { updateDropdownSummary(details); }
    });

    // "Copy" buttons (a new API token on the profile page): hidden without this script, where
    // the text is still selectable by hand; shown again after an htmx swap brings one in.
    function showCopyButtons(root) {
      (root.querySelectorAll ? root : document).querySelectorAll("button[data-copy][hidden]").forEach(function (b) {
        b.hidden = false;
      });
    }
    showCopyButtons(document);
    document.body.addEventListener("htmx:load", function (event) { showCopyButtons(event.target); });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-copy]");
      var source = button && document.querySelector(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    });

    if (!window.htmx) { return; }

    // Leave empty filters out of the GET the form sends, so the URL that htmx pushes stays
    // short and bookmarkable (?stage=pilot rather than ?q=&team=&vendor=&stage=pilot...).
    document.body.addEventListener("htmx:configRequest", function (event) {
      var data = event.detail.formData;
      if (event.detail.verb !== "get" || !data) { return; }
      var empty = [];
      data.forEach(function (value, key) {
        if (value === "" && data.getAll(key).every(function (v) { return v === ""; })) { empty.push(key); }
      });
      empty.forEach(function (key) { data.delete(key); });
    });
    // Back/forward re-fetches the page from the server instead of restoring a DOM snapshot from
    // localStorage: the snapshot would not hold what was typed in the filter form, and the
    // server's render of a bookmarkable URL is always right.
    window.htmx.config.historyCacheSize = 0;

    // The registration page: a swapped-in fieldset ("Add a data source") puts the keyboard on
    // its new row, as the full-page render does with autofocus.
    document.body.addEventListener("htmx:afterSettle", function (event) {
      var target = event.target;  // the swapped-in content (the requesting button may be gone)
      var focus = target && target.querySelector && target.querySelector("[autofocus]");
      if (focus && document.activeElement !== focus) { focus.focus(); }
    });

    // A failed in-place update must not fail silently: say so where the results are.
    document.body.addEventListener("htmx:responseError", function (event) {
      warn(event.detail.target,
        "The list could not be updated (HTTP " + event.detail.xhr.status + "). Reload the page to try again.");
    });
    document.body.addEventListener("htmx:sendError", function (event) {
      warn(event.detail.target, "The registry could not be reached. Check your connection and try again.");
    });
  });
})();
