/* Situation Table: small progressive enhancements. Everything works without JavaScript. */
(function () {
  "use strict";

  // Filter a list of checkboxes (risk factors) by a search box.
  function initFilters(root) {
    root.querySelectorAll("[data-filter-target]").forEach(function (input) {
      var target = document.querySelector(input.getAttribute("data-filter-target"));
      if (!target) return;
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        target.querySelectorAll("[data-filter-group]").forEach(function (group) {
          var legend = (group.querySelector("legend") || {}).textContent || "";
          var groupMatch = legend.toLowerCase().indexOf(q) !== -1;
          var any = false;
          group.querySelectorAll("[data-filter-item]").forEach(function (item) {
            var show = !q || groupMatch || item.textContent.toLowerCase().indexOf(q) !== -1;
            item.hidden = !show;
            any = any || show;
          });
          group.hidden = !any;
        });
      });
    });
  }

  // Time spent on the current meeting item: kept per item for this browser tab, so recording a
  // decision (which redraws the panel) does not reset it; coming back to an item continues it.
  var timerHandle = null;
  function initTimer(root) {
    var el = root.querySelector("[data-timer]");
    if (!el) return;
    var key = "st-item-timer:" + (el.getAttribute("data-meeting") || "") + ":" +
      (el.getAttribute("data-item") || "");
    var started = Date.now();
    try {
      started = parseInt(window.sessionStorage.getItem(key) || "", 10) || started;
      window.sessionStorage.setItem(key, String(started));
    } catch (e) { /* storage off: the timer starts with the page */ }
    if (timerHandle) clearInterval(timerHandle);
    function show() {
      var s = Math.max(0, Math.floor((Date.now() - started) / 1000));
      el.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    }
    show();
    timerHandle = setInterval(show, 1000);
  }

  // The meeting clock: time since the meeting started (from the server), H:MM.
  function initClocks(root) {
    root.querySelectorAll("[data-clock-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-clock-since"));
      if (isNaN(since)) return;
      function show() {
        var m = Math.max(0, Math.floor((Date.now() - since) / 60000));
        el.textContent = Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0");
      }
      show();
      setInterval(show, 15000);
    });
  }

  // "Print" buttons (no inline script under the Content Security Policy).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });

  // A second click on "Save" while the first request is on its way must not send the form again:
  // the first submit marks the form and, once the browser has read the form data (so the button's
  // own name and value are still sent), disables its submit buttons. Back/forward navigation and
  // finished htmx requests give the buttons back.
  function releaseForm(form) {
    delete form.dataset.submitting;
    form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(
      function (button) { button.disabled = false; button.removeAttribute("aria-busy"); }
    );
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-allow-resubmit")) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(
        function (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
      );
    }, 0);
  }, true);
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(releaseForm);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    if (form && form.dataset.submitting) releaseForm(form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initFilters(document);
    initTimer(document);
    initClocks(document);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = document.getElementById("item-panel");
    if (panel && (event.target === panel || event.target.id === "item-panel")) {
      initTimer(panel);
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var heading = document.getElementById("item-heading");
    var active = document.activeElement;
    // After moving to another item, put keyboard focus on its heading (unless typing in a form).
    if (heading && (!active || active === document.body || !document.contains(active))) {
      heading.focus();
    }
  });

  // Meeting mode: Alt+N goes to the next agenda item.
  document.addEventListener("keydown", function (event) {
    if (event.altKey && (event.key === "n" || event.key === "N")) {
      var next = document.querySelector("[data-next-item]");
      if (next) { event.preventDefault(); next.click(); }
    }
  });
})();

// Forms that ask before they act (close a meeting, remove access, conclude): data-confirm.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
