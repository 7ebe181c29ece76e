(function () {
  // Poll the task until it finishes, then reload to show the outcome.
  var box = document.getElementById('task');
  var bar = document.getElementById('task-bar');
  var phase = document.querySelector('[data-testid=task-phase]');
  function poll() {
    fetch(box.dataset.progress, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (t) {
        bar.style.width = t.percent + '%';
        bar.textContent = t.percent + '%';
        bar.parentElement.setAttribute('aria-valuenow', t.percent);
        if (t.phase) { phase.textContent = t.phase; }
        if (t.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
