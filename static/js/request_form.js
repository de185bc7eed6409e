// The request form's small comforts; the form works fully without them.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  if (!form) { return; }

  // Show "about you" only when someone fills the form in for the patient.
  var details = document.getElementById("requester-details");
  var choices = form.querySelectorAll("input[name='requester_type']");
  function syncRequester() {
    var checked = form.querySelector("input[name='requester_type']:checked");
    var forSomeoneElse = checked && checked.value === "caregiver";
    if (details) { details.hidden = !forSomeoneElse; }
  }
  choices.forEach(function (input) { input.addEventListener("change", syncRequester); });
  syncRequester();

  // Ask "which language?" only when the patient prefers one not in the list.
  var language = document.getElementById("id_preferred_language");
  var otherLanguage = document.getElementById("div_id_other_language");
  function syncLanguage() {
    if (otherLanguage && language) { otherLanguage.hidden = language.value !== "other"; }
  }
  if (language) { language.addEventListener("change", syncLanguage); }
  syncLanguage();

  // After a failed submit, take the reader straight to the list of what to correct.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // One click sends the form once: a second click while it is sending does nothing.
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-request");
    if (form.dataset.sending === "1") { return; }
    form.dataset.sending = "1";
    if (button) { button.setAttribute("aria-disabled", "true"); }
  });
})();
