// Preview in place: a Markdown editor's Preview button (.editor[data-preview-url]) fetches the rendered text
// instead of reloading the page. Without this script the button posts the form, which shows the preview.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function enhanceEditor(editor) {
    var form = editor.closest("form");
    var textarea = editor.querySelector("textarea[data-preview]");
    var output = editor.querySelector(".preview");
    var button = form && form.querySelector("button[name=preview]");
    if (!form || !textarea || !output || !button || !window.fetch) return;

    button.addEventListener("click", function (event) {
      event.preventDefault();
      var body = new FormData();
      body.append("body", textarea.value);
      button.disabled = true;
      fetch(editor.dataset.previewUrl, {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": csrfToken(form) },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.text().then(function (text) { return { ok: response.ok, text: text }; });
        })
        .then(function (result) {
          output.classList.remove("preview--empty");
          output.textContent = "";
          var label = document.createElement("p");
          label.className = "preview__label";
          label.textContent = result.ok ? gettext("Preview") : gettext("Cannot preview");
          var content = document.createElement("div");
          content.className = "prose";
          if (result.ok) {
            content.innerHTML = result.text; // sanitized by the server's Markdown renderer
          } else {
            content.textContent = result.text;
          }
          output.appendChild(label);
          output.appendChild(content);
        })
        .catch(function () {
          output.classList.remove("preview--empty");
          output.textContent = gettext("The preview is unavailable right now; your text is still here.");
        })
        .finally(function () { button.disabled = false; });
    });
  }

  document.querySelectorAll(".editor[data-preview-url]").forEach(enhanceEditor);
})();
