// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".menu-toggle");
    if (toggle) {
      var open = document.body.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    // A click anywhere in a table row opens its record (the row's first
    // link), as the help article describes; links and buttons keep theirs.
    var row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, select, label")) {
      window.location.href = row.getAttribute("data-href");
    }
  });
  // Forms with data-confirm ask before submitting (e.g. deactivation).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Show the password fields only when "Set a temporary password" is chosen.
  function syncPasswordMode(root) {
    (root || document).querySelectorAll("[data-password-mode]").forEach(function (group) {
      var form = group.closest("form");
      var checked = group.querySelector("input[type=radio]:checked");
      var show = !checked || checked.value === "password";
      form.querySelectorAll("[data-temporary-password]").forEach(function (el) {
        el.hidden = !show;
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.closest("[data-password-mode]")) { syncPasswordMode(); }
  });
  document.addEventListener("DOMContentLoaded", function () { syncPasswordMode(); });
  document.addEventListener("htmx:afterSwap", function (event) { syncPasswordMode(event.target); });
})();
