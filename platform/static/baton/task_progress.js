// Polls each task card's JSON and updates it until the task has finished.
(function () {
  "use strict";
  var LABELS = { queued: "Waiting", running: "Running", succeeded: "Finished", failed: "Failed" };
  var BADGES = { queued: "text-bg-secondary", running: "text-bg-info", succeeded: "text-bg-success", failed: "text-bg-danger" };

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function render(card, task) {
    var field = function (name) { return card.querySelector('[data-task-field="' + name + '"]'); };
    var badge = text("span", LABELS[task.status] || task.status, "badge " + (BADGES[task.status] || "text-bg-light"));
    field("status").replaceChildren(badge);
    var bar = field("bar");
    bar.setAttribute("aria-valuenow", task.percent);
    var inner = bar.querySelector(".progress-bar");
    inner.style.width = task.percent + "%";
    inner.textContent = task.percent + "%";
    inner.classList.toggle("bg-danger", task.status === "failed");
    field("rows").textContent = task.done + (task.total ? " of " + task.total : "") + " rows done";
    field("retrying").textContent = task.retrying && !task.finished ? "Trying again after an error: " + task.retrying : "";
    if (!task.finished) return;
    var outcome = field("outcome");
    outcome.replaceChildren();
    var rowErrors = (task.errors || []).filter(function (e) { return e.row; });
    var jobErrors = (task.errors || []).filter(function (e) { return !e.row; });
    if (task.status === "failed") {
      var alert = text("div", "This task failed and stopped. ", "alert alert-danger mt-2 mb-0");
      alert.setAttribute("data-testid", "task-failed");
      if (jobErrors.length) alert.appendChild(text("code", jobErrors[jobErrors.length - 1].message));
      alert.appendChild(document.createTextNode(" Your organisation's admin can retry it from the Jobs page."));
      outcome.appendChild(alert);
    }
    if (rowErrors.length) {
      var box = document.createElement("div");
      box.className = "mt-2";
      box.appendChild(text("strong", rowErrors.length + " row(s) had problems:"));
      var list = document.createElement("ul");
      list.className = "small mb-0";
      list.setAttribute("data-testid", "task-errors");
      rowErrors.forEach(function (e) { list.appendChild(text("li", "Row " + e.row + ": " + e.message)); });
      box.appendChild(list);
      outcome.appendChild(box);
    }
    if (task.status === "succeeded") outcome.appendChild(text("div", "Finished.", "text-success small mt-2"));
  }

  function poll(card) {
    if (card.dataset.polling) return;
    card.dataset.polling = "1";
    var url = card.getAttribute("data-task-url");
    var delay = 1000;
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (task) {
          render(card, task);
          delay = 1000;
          if (!task.finished) setTimeout(tick, delay);
        })
        .catch(function () { delay = Math.min(delay * 2, 15000); setTimeout(tick, delay); });
    }
    tick();
  }

  function start() { document.querySelectorAll(".baton-task[data-task-url]").forEach(poll); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
