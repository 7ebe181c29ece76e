(function () {
  // A form with data-confirm asks first. Confirmed, it says so to the server
  // (confirmed=yes), which otherwise answers with a confirmation page instead
  // of acting, so the action is just as safe without this script.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.dataset ? form.dataset.confirm : null;
    if (!question) { return; }
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var flag = form.querySelector('input[name="confirmed"]');
    if (!flag) {
      flag = document.createElement('input');
      flag.type = 'hidden';
      flag.name = 'confirmed';
      form.appendChild(flag);
    }
    flag.value = 'yes';
  });
})();
