// The admin's autocomplete boxes (select2) carry no name of their own: name each by its
// field's label, so that a screen reader says what the box is for. This script is deferred,
// so its ready handler runs after the one of the admin's autocomplete.js that builds them.
(function () {
  function nameBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      if (!label || !container) return;
      label.id = label.id || select.id + "-label";
      container.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(
        function (box) {
          box.setAttribute("aria-labelledby", label.id);
        }
      );
    });
  }
  if (window.django && window.django.jQuery) window.django.jQuery(nameBoxes);
})();
