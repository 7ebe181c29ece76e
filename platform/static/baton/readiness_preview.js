(function () {
  // Re-run the readiness check on the unsaved form, a moment after typing stops.
  var form = document.getElementById('requirement-form');
  var panel = document.getElementById('readiness-panel');
  var timer = null;
  function refresh() {
    var data = new FormData(form);
    data.delete('action');
    fetch(form.dataset.preview, {method: 'POST', body: data, credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) { panel.innerHTML = html; } });
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
  form.addEventListener('input', later);
  form.addEventListener('change', later);
})();
