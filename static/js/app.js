// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "false");
  });
  // Focus after htmx swaps the area holding the control the user used (paging, sorting, a toggle):
  // the control with the same id gets it back; a paging link (data-focus-heading), or a control that
  // is gone, sends it to the area's heading, scrolled into view, so the new content is read from its top.
  // Focus outside the swapped area (a filter control, a slider) is left where it is.
  var focusBeforeSwap = new WeakMap();
  function headingFor(el) {
    for (var node = el; node && node.closest; node = node.parentElement) {
      node = node.closest("[aria-labelledby]");
      if (!node) return null;
      var heading = document.getElementById(node.getAttribute("aria-labelledby"));
      if (heading && /^H[1-6]$/.test(heading.tagName)) return heading;
    }
    return null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (!target || !active || active === document.body || !target.contains(active)) return;
    focusBeforeSwap.set(event.detail.xhr, {
      controlId: active.hasAttribute("data-focus-heading") ? "" : active.id,
      targetId: target.id,
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var saved = focusBeforeSwap.get(event.detail.xhr);
    if (!saved) return;
    focusBeforeSwap.delete(event.detail.xhr);
    var control = saved.controlId && document.getElementById(saved.controlId);
    if (control) {
      if (document.activeElement !== control) control.focus({ preventScroll: true });
      return;
    }
    var heading = saved.targetId && headingFor(document.getElementById(saved.targetId));
    if (!heading) return;
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start" });
  });
  // GET requests from filter forms leave out empty fields, so shared URLs stay short.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var params = event.detail.parameters;
    var empty = [];
    if (params && typeof params.forEach === "function") {
      params.forEach(function (value, key) { if (value === "") empty.push(key); });
      empty.forEach(function (key) { params.delete(key); });
    }
  });
  // Filter panels start closed on phones (results come first) and open beside the results on wide screens.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia("(min-width: 50rem)").matches) return;
    document.querySelectorAll("details[data-open-on-wide-screens]").forEach(function (el) { el.open = true; });
  });
  // Controls marked data-autosubmit submit their form when changed (weights, toggles).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form && !window.htmx) el.form.submit();
  });
  // Weights arrive as number inputs (they show their own value without script); here they become
  // sliders, and the number beside each (its <output>, aria-hidden: the slider says its own value) follows.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-weight-slider]").forEach(function (el) {
      var out = el.id && document.querySelector('output[for="' + el.id + '"]');
      el.type = "range";
      if (out) { out.textContent = el.value; out.hidden = false; }
    });
  });
  // Range inputs show their value next to them.
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el && el.type === "range" && el.id) {
      var out = document.querySelector('output[for="' + el.id + '"]');
      if (out) out.textContent = el.value;
    }
  });
  // A live region that already holds text when the page loads is not read out: empty the message
  // regions and put their text back a moment later (same height meanwhile, so nothing moves).
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-announce-on-load]").forEach(function (region) {
      var content = Array.prototype.slice.call(region.childNodes);
      region.style.minHeight = region.offsetHeight + "px";
      content.forEach(function (node) { region.removeChild(node); });
      window.setTimeout(function () {
        content.forEach(function (node) { region.appendChild(node); });
        region.style.minHeight = "";
      }, 500);
    });
  });
  // Buttons with data-print open the print dialog.
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });
  // A form sent back with errors: focus its error summary (at page load, and when htmx swaps one in).
  function focusErrorSummary(root) {
    if (!root || !root.querySelector) return;
    var summary = root.matches && root.matches("[data-error-summary]") ? root : root.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  document.addEventListener("htmx:afterSettle", function (event) { focusErrorSummary(event.target); });
})();
