// A bilingual form's other-language version (topics/_translation_fields.html): its legend says which language it is
// for, the one the original is not in, as the original's language changes. Without this script the help says which.
(function () {
  "use strict";
  document.querySelectorAll("legend[data-translation-legend]").forEach(function (legend) {
    var form = legend.closest("form");
    if (!form) {
      return;
    }
    form.querySelectorAll('input[name="' + legend.dataset.languageField + '"]').forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked) {
          legend.textContent = radio.value === "zh-hans" ? legend.dataset.whenOriginalZh : legend.dataset.whenOriginalEn;
        }
      });
    });
  });
})();
