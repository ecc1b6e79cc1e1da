// The settings pages' behaviours (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#input"> copies the input's value (a raw key, a secret,
  // a sign-in link) and says so in the nearest [data-copy-status].
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    var status = button.closest(".card-body").querySelector("[data-copy-status]");
    function done(text) {
      button.textContent = text;
      if (status) status.textContent = text === "Copied" ? "Copied to the clipboard." : "Select the text and copy it.";
    }
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { done("Copied"); }, function () { done("Copy"); });
    } else {
      done(document.execCommand("copy") ? "Copied" : "Copy");
    }
  });

  // Forms with data-confirm ask first (deactivating a member, revoking a key).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // Stages: drag by the handle (SortableJS); the new order is posted by the form named in
  // data-sortable, whose hidden stage_ids inputs are in the rows, so in the new order.
  function initSortable(root) {
    if (!window.Sortable) return;
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list.sortable) return;
      list.sortable = window.Sortable.create(list, {
        handle: ".stage-handle",
        forceFallback: true,  // mouse and touch events, not HTML5 drag and drop: the same everywhere
        animation: 150,
        onEnd: function (event) {
          if (event.oldIndex === event.newIndex) return;
          // Drop the inline styles SortableJS left on the rows: htmx copies the old rows'
          // attributes onto the new ones while settling, which the CSP would refuse.
          list.querySelectorAll("[style]").forEach(function (row) { row.removeAttribute("style"); });
          var form = document.querySelector(list.getAttribute("data-sortable"));
          window.htmx.trigger(form, "submit");
        }
      });
    });
  }

  // Move up / Move down keep the keyboard focus on the moved stage's button after htmx swaps
  // the list (or on its other button once it reaches the top or the bottom).
  var focusKey = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusKey = active && active.getAttribute("data-focus-key");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    initSortable(document);
    if (!focusKey) return;
    var button = document.querySelector('[data-focus-key="' + focusKey + '"]');
    if (button && button.disabled) {
      var other = focusKey.indexOf("up-") === 0 ? "down-" + focusKey.slice(3) : "up-" + focusKey.slice(5);
      button = document.querySelector('[data-focus-key="' + other + '"]');
    }
    if (button) button.focus();
    focusKey = null;
  });

  document.addEventListener("DOMContentLoaded", function () { initSortable(document); });
})();
