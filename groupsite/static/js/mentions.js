// @mention suggestions: in a reply or new-thread box (data-mention-url), "@" and two letters (one Chinese) offer the group's members
// in a listbox; arrow keys choose, Enter or Tab inserts, Escape closes. Without this script, typing @username works.
(function () {
  "use strict";
  if (!window.fetch) return;
  // Two letters, or one Chinese character ("@李" finds 李明): a single CJK character already narrows the list.
  var MENTION_BEFORE_CARET = /(^|[\s(\[{"'>])@([^\s@]{2,30}|[\u3400-\u9fff\uf900-\ufaff])$/;
  var counter = 0;

  function enhanceMentions(textarea, url) {
    counter += 1;
    var listId = "mention-list-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", gettext("Members to mention"));
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);
    // No aria-expanded: ARIA allows it on a combobox, not on a multi-line textbox (axe-core's aria-allowed-attr);
    // the status line below says when the list opens.
    var options = [];
    var active = -1;
    var timer = null;
    var lastQuery = "";
    var requests = 0;

    function typedMention() {
      var caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) return null;
      var match = MENTION_BEFORE_CARET.exec(textarea.value.slice(0, caret));
      return match ? { query: match[2], start: caret - match[2].length - 1, end: caret } : null;
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }

    function insert(index) {
      var typed = typedMention();
      var option = options[index];
      close();
      if (!typed || !option) return;
      var text = "@" + option.dataset.username + " ";
      textarea.value = textarea.value.slice(0, typed.start) + text + textarea.value.slice(typed.end);
      var caret = typed.start + text.length;
      textarea.setSelectionRange(caret, caret);
      textarea.focus();
      lastQuery = "";
    }

    function show(members) {
      close();
      members.forEach(function (member, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.className = "mention-list__option";
        option.setAttribute("role", "option");
        option.dataset.username = member.username;
        var name = document.createElement("span");
        name.textContent = member.display_name;
        var handle = document.createElement("span");
        handle.className = "mention-list__username";
        handle.textContent = "@" + member.username;
        option.appendChild(name);
        option.appendChild(document.createTextNode(" ")); // read aloud as two words, not "Grace Chan@grace"
        option.appendChild(handle);
        // mousedown, not click: the textarea keeps its focus and caret.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          insert(i);
        });
        list.appendChild(option);
        options.push(option);
      });
      if (!options.length) {
        status.textContent = gettext("No members match.");
        return;
      }
      list.hidden = false;
      highlight(0);
      status.textContent = interpolate(
        ngettext(
          "%(count)s member matches: arrow keys to choose, Enter to insert, Escape to close.",
          "%(count)s members match: arrow keys to choose, Enter to insert, Escape to close.",
          options.length
        ),
        { count: options.length },
        true
      );
    }

    function lookup() {
      var typed = typedMention();
      if (!typed) {
        lastQuery = "";
        close();
        return;
      }
      if (typed.query === lastQuery) return;
      lastQuery = typed.query;
      var mine = ++requests;
      fetch(url + "?q=" + encodeURIComponent(typed.query), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (mine === requests) show(data.results || []); })
        .catch(close);
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || !options.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + options.length) % options.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        insert(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    textarea.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("textarea[data-mention-url], [data-mention-url] textarea").forEach(function (textarea) {
    enhanceMentions(textarea, textarea.closest("[data-mention-url]").dataset.mentionUrl);
  });
})();
