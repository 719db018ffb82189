// Small helpers for the portal's pages; no library needed.
// Character counters: a textarea with a length limit shows "typed / limit" below it
// (the element with id "<textarea id>-counter"), updated as the person types.
(function () {
  function update(field) {
    var out = document.getElementById(field.id + "-counter");
    if (out && field.maxLength > 0) {
      out.textContent = field.value.length + " / " + field.maxLength;
    }
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[maxlength]")) update(event.target);
  });
  // Reply templates: choosing one inserts its text where the cursor is in the field it names.
  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("select.reply-picker") || !picker.value) return;
    var field = document.getElementById(picker.dataset.target);
    if (field) {
      var at = field.selectionStart || field.value.length;
      field.value = field.value.slice(0, at) + picker.value + field.value.slice(field.selectionEnd || at);
      field.focus();
      update(field);
    }
    picker.value = "";
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[maxlength]").forEach(update);
    // A form shown again with errors: move to the summary so that it is read first.
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
