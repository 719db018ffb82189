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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[maxlength]").forEach(update);
    // A form shown again with errors: move to the summary so that it is read first.
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
