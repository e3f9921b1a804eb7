// Progressive enhancement only: every form and link works without this file.
(function () {
  "use strict";
  // <form data-confirm="Really?"> asks before submitting.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
  // <button data-copy="text"> copies text (a link) to the clipboard; hidden until usable.
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    if (!navigator.clipboard) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      var text = b.getAttribute("data-copy");
      if (text.charAt(0) === "/") { text = window.location.origin + text; }
      navigator.clipboard.writeText(text).then(function () {
        var old = b.textContent;
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = old; }, 1500);
      });
    });
  });
})();
