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

// A form sent by htmx that failed for a reason the person cannot fix in the form (no
// connection, a limit, an ended session, a server error): say so in the form that sent it.
// htmx leaves the form as it was, so what the person typed is still there.
(function () {
  function messageFor(xhr) {
    var texts = document.getElementById("request-failure");
    if (!texts) return "";
    var status = xhr ? xhr.status : 0;
    if (!status) return texts.dataset.offline;
    if (status === 429) {
      var wait = parseInt(xhr.getResponseHeader("Retry-After"), 10);
      return texts.dataset.limited.replace("{seconds}", isNaN(wait) ? 60 : wait);
    }
    if (status === 403 || status === 401) return texts.dataset.signedOut;
    return texts.dataset.failed;
  }
  function formOf(event) {
    var elt = event.detail.elt;
    return elt && elt.closest ? elt.closest("form") : null;
  }
  function clear(form) {
    form.querySelectorAll(".request-failure").forEach(function (old) { old.remove(); });
  }
  function report(event) {
    var form = formOf(event);
    if (!form) return; // background polling: it tries again by itself
    clear(form);
    var alert = document.createElement("div");
    alert.className = "alert alert-danger request-failure";
    alert.setAttribute("role", "alert");
    alert.dataset.testid = "request-failure";
    alert.textContent = messageFor(event.detail.xhr);
    form.insertBefore(alert, form.firstChild);
  }
  document.addEventListener("htmx:responseError", report);
  document.addEventListener("htmx:sendError", report);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = formOf(event);
    if (form) clear(form);
  });
})();

// Copy buttons (templates/_copy_button.html): a button with data-copy="<id>" copies the value
// of that field, or the text of that element, and says so on the button for a moment
// (data-copied). The button is hidden until this script shows it; where the browser refuses
// the clipboard, the text is selected for the person to copy, and the button says so
// (data-copy-failed).
(function () {
  function show(root) {
    (root || document).querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  function select(source) {
    if (source.select) {
      source.focus();
      source.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function say(button, text) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = text;
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(function () {
      button.textContent = button.dataset.label;
    }, 2500);
  }
  function copyBySelection(source) {
    select(source);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var text = source.matches("input, textarea") ? source.value : source.textContent.trim();
    function fallback() {
      say(button, copyBySelection(source) ? button.dataset.copied : button.dataset.copyFailed);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        say(button, button.dataset.copied);
      }, fallback);
    } else {
      fallback();
    }
  });
  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:load", function (event) { show(event.target); });
})();
