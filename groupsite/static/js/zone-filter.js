// Time-zone pickers (select[data-zone-filter]): a search box above the long list hides the zones that do not match
// what is typed ("tokyo", "new york", "+08"). Without this script the select is complete, common zones first.
(function () {
  "use strict";
  var counter = 0;

  function normalise(text) {
    return text.toLowerCase().replace(/_/g, " ");
  }

  function enhanceZoneSelect(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "zone-filter";
    box.id = "zone-filter-" + (++counter);
    box.setAttribute("aria-label", select.dataset.zoneFilter);
    box.setAttribute("aria-controls", select.id);
    box.placeholder = select.dataset.zoneFilter;
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var query = normalise(box.value.trim());
      select.querySelectorAll("optgroup").forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("option").forEach(function (option) {
          var match = !query || option.selected || normalise(option.value + " " + option.textContent).indexOf(query) !== -1;
          option.hidden = !match;
          if (match) shown += 1;
        });
        group.hidden = shown === 0;
      });
    });
  }

  document.querySelectorAll("select[data-zone-filter]").forEach(enhanceZoneSelect);
})();
