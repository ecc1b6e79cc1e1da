// Rex CRM's few behaviours, without inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function typingIn(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  // "/" focuses the global search box (unless the user is typing somewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typingIn(document.activeElement)) {
      return;
    }
    var box = document.getElementById("global-search");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Search results: ArrowDown/ArrowUp move between results (and from the search box into
  // them); Enter opens the focused one (it is a link).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var results = Array.prototype.slice.call(document.querySelectorAll("[data-result]"));
    if (!results.length) return;
    var active = document.activeElement;
    var index = results.indexOf(active);
    if (index === -1 && active && active.id !== "global-search" && typingIn(active)) return;
    event.preventDefault();
    var next = event.key === "ArrowDown" ? index + 1 : index - 1;
    if (next < 0) {
      document.getElementById("global-search").focus();
      return;
    }
    results[Math.min(next, results.length - 1)].focus();
  });

  // Filter forms send only the fields that have a value, so URLs stay the API's.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-strip-empty")) return;
    var emptied = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && !field.disabled && field.value === "") {
        field.disabled = true;
        emptied.push(field);
      }
    });
    setTimeout(function () {
      emptied.forEach(function (field) { field.disabled = false; });
    }, 0);
  });

  // Bulk selection: "select all" and the count of selected rows (actions come later).
  function updateSelection(table) {
    var boxes = table.querySelectorAll("tbody input[type=checkbox][data-row]");
    var checked = table.querySelectorAll("tbody input[type=checkbox][data-row]:checked").length;
    var all = table.querySelector("[data-select-all]");
    if (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var card = table.closest(".card");
    var label = card && card.querySelector("[data-selected-count]");
    if (label) label.textContent = checked ? checked + " selected" : "";
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    var table = box.closest && box.closest("table");
    if (!table) return;
    if (box.hasAttribute("data-select-all")) {
      table.querySelectorAll("tbody input[type=checkbox][data-row]").forEach(function (row) {
        row.checked = box.checked;
      });
    }
    if (box.hasAttribute("data-select-all") || box.hasAttribute("data-row")) updateSelection(table);
  });
})();

// A select whose options are URLs (the board's pipeline switcher) opens the chosen one.
document.addEventListener("change", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-navigate")) {
    window.location.assign(event.target.value);
  }
});

// Bulk actions: deleting asks first.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-bulk")) return;
  var action = form.elements.action && form.elements.action.value;
  var count = form.querySelectorAll("input[type=checkbox][data-row]:checked").length;
  if (action && action.indexOf("delete:") === 0 && !window.confirm("Delete " + count + " selected row(s)? This cannot be undone.")) {
    event.preventDefault();
  }
});

// The pipeline board: drag a card to another column and it moves there through the card's own
// "Move to stage" form (the same POST as the keyboard control); the board then redraws itself.
(function () {
  "use strict";
  var movedDeal = null;

  function submitMove(card, stage) {
    var form = card.querySelector("form.card-move");
    if (!form) return;
    form.elements.stage.value = stage;
    movedDeal = card.getAttribute("data-deal");
    form.requestSubmit();
  }

  function initBoard() {
    if (typeof Sortable === "undefined") return;
    document.querySelectorAll("[data-board] .board-cards").forEach(function (list) {
      if (list.sortable) return;
      list.sortable = Sortable.create(list, {
        group: "board",
        draggable: ".deal-card",
        filter: "select, button, input, label",
        preventOnFilter: false,
        forceFallback: true,
        fallbackTolerance: 4,
        animation: 120,
        onEnd: function (event) {
          if (event.from !== event.to) submitMove(event.item, event.to.getAttribute("data-stage"));
        },
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (card) movedDeal = card.getAttribute("data-deal");
  });
  document.addEventListener("DOMContentLoaded", initBoard);
  document.addEventListener("htmx:afterSettle", function () {
    initBoard();
    if (movedDeal) {  // keep the keyboard user on the card they moved
      var select = document.getElementById("move-" + movedDeal);
      movedDeal = null;
      if (select) select.focus();
    }
  });
})();
