// kaohe workspace: the little JavaScript the pages use (no libraries, no CDN).
// Every page works without it; it adds confirmation of destructive buttons and,
// on the authoring page, line numbers with error lines marked, saving without
// leaving the page, and the live refresh (poll every 250 ms, swap the panel).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.classList.contains("danger") && !window.confirm(button.textContent + "?")) {
      event.preventDefault();
    }
  });

  var root = document.getElementById("author");
  if (!root) { return; }

  var editor = document.getElementById("editor");
  var gutter = document.getElementById("gutter");
  var panel = document.getElementById("panel");
  var saveStatus = document.getElementById("save-status");
  var fingerprintField = document.getElementById("editor-fingerprint");
  var path = root.dataset.path;
  var source = root.dataset.source || "";
  var csrf = root.dataset.csrf;
  var folder = root.dataset.folder;
  var seenFile = root.dataset.file;
  var dirty = false;
  var busy = false;

  function errorLines() {
    var holder = panel.querySelector("[data-error-lines]");
    var text = holder ? holder.getAttribute("data-error-lines") : "";
    var lines = {};
    text.split(",").forEach(function (n) { if (n) { lines[n] = true; } });
    return lines;
  }

  function drawGutter() {
    var count = editor.value.split("\n").length;
    var bad = errorLines();
    var html = [];
    for (var i = 1; i <= count; i++) {
      html.push(bad[i] ? '<span class="bad" title="!">' + i + "</span>" : "<span>" + i + "</span>");
    }
    gutter.innerHTML = html.join("");
    gutter.scrollTop = editor.scrollTop;
  }

  editor.addEventListener("input", function () { dirty = true; saveStatus.textContent = ""; drawGutter(); });
  editor.addEventListener("scroll", function () { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Tab") {  // two spaces, as YAML wants
      event.preventDefault();
      var start = editor.selectionStart;
      editor.setRangeText("  ", start, editor.selectionEnd, "end");
      dirty = true;
      drawGutter();
    } else if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      save();
    }
  });

  function query() {
    return "path=" + encodeURIComponent(path) + (source ? "&source=" + encodeURIComponent(source) : "");
  }

  function reloadPanel() {
    return fetch("/ruleset/panel?" + query(), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) { panel.innerHTML = html; drawGutter(); });
  }

  function reloadSource() {
    return fetch("/ruleset/source?path=" + encodeURIComponent(path), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (doc) {
        if (!dirty) {  // unsaved edits are kept; saving them will report the conflict
          editor.value = doc.content;
          fingerprintField.value = doc.fingerprint;
          drawGutter();
        }
      });
  }

  function save() {
    var body = new FormData(document.getElementById("editor-form"));
    return fetch("/ruleset/save", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (doc) {
        saveStatus.textContent = doc.message || String(r.status);
        saveStatus.className = doc.saved ? "ok" : "error";
        if (doc.saved) {  // the panel follows the saved file at once (the poll would within 250 ms)
          dirty = false;
          fingerprintField.value = seenFile = doc.fingerprint;
          reloadPanel();
        }
      });
    });
  }

  document.getElementById("editor-form").addEventListener("submit", function (event) {
    event.preventDefault();
    save();
  });

  function poll() {
    if (busy) { return; }
    busy = true;
    fetch("/ruleset/status?path=" + encodeURIComponent(path), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (doc) {
        var work = [];
        if (doc.file !== seenFile) { seenFile = doc.file; work.push(reloadSource()); }
        if (doc.folder !== folder) { folder = doc.folder; work.push(reloadPanel()); }
        return Promise.all(work);
      })
      .catch(function () { /* the server restarts; try again on the next tick */ })
      .then(function () { busy = false; });
  }

  drawGutter();
  window.setInterval(poll, 250);
})();
