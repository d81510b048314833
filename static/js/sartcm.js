/* Site-wide progressive enhancements (loaded by base.html; no inline scripts).
 * 1. Scrollable table wrappers: a table wider than the screen (phones) scrolls sideways inside
 * .table-responsive; keyboard users can scroll it only if the wrapper can take focus, so it
 * becomes a focusable, named region while (and only while) it actually scrolls (WCAG 2.1.1).
 * 2. Forms shown again with errors: focus the first field to fix. */
(function () {
  "use strict";

  function label(wrapper) {
    var caption = wrapper.querySelector("caption");
    return caption ? caption.textContent.trim() : "Table";
  }

  function update() {
    document.querySelectorAll(".table-responsive").forEach(function (wrapper) {
      if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.setAttribute("role", "region");
        wrapper.setAttribute("aria-label", label(wrapper) + " (scrolls sideways)");
      } else if (wrapper.getAttribute("role") === "region") {
        wrapper.removeAttribute("tabindex");
        wrapper.removeAttribute("role");
        wrapper.removeAttribute("aria-label");
      }
    });
  }

  // After a refused submit, put the keyboard on the first field to fix (its error is shown
  // next to it), unless the page already chose a field with autofocus.
  function focusFirstError() {
    if (document.querySelector("main [autofocus]")) {
      return;
    }
    var field = document.querySelector(
      "main input.is-invalid, main select.is-invalid, main textarea.is-invalid, " +
        "main [aria-invalid='true'], main fieldset.is-invalid input"
    );
    if (field) {
      field.focus();
    }
  }

  var pending = null;
  function later() {
    if (pending) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(update, 150);
  }

  function ready() {
    update();
    focusFirstError();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  window.addEventListener("resize", later);
  document.addEventListener("htmx:afterSettle", update);
})();
