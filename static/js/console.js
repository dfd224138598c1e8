// Console behaviour that used to sit in inline handlers, which the Content-Security-Policy refuses
// (docs/security.md). A <select data-submit-on-change> sends its form when the choice changes.
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
