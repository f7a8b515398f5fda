// Small progressive enhancements; every form works without this file.

// Words come from Django's JavaScript catalogue (/jsi18n/, loaded before this file); English without it.
var gettext = window.gettext || function (text) { return text; };
var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
var interpolate = window.interpolate || function (format, values) {
  return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
};

(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Preview in place: the Preview button fetches the rendered Markdown instead of reloading the page.
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

  // Invitation links select themselves on focus, ready to copy.
  document.querySelectorAll(".copy-field").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();

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

  // "Copy link" under a post: without this it is the post's permalink; with it, the absolute address goes to the
  // clipboard and a live region says so. Where the clipboard is unavailable (no secure context) the link is followed.
  document.querySelectorAll("a[data-copy-link]").forEach(function (link) {
    if (!navigator.clipboard || !window.isSecureContext) return;
    if (!link.parentNode.classList.contains("post-share")) {
      // A long thread page sends the bare link; the holder that keeps its live region beside it is made here.
      var share = document.createElement("span");
      share.className = "post-share";
      link.parentNode.insertBefore(share, link);
      share.appendChild(link);
    }
    var status = link.parentNode.querySelector(".post-share__status");
    var holder = document.querySelector("[data-copy-words]");
    if (!status && holder) {
      // A long thread page carries the words once; each link's live region is made here, before it is used.
      status = document.createElement("span");
      status.className = "post-share__status";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      status.dataset.copied = holder.dataset.copyWords;
      link.parentNode.appendChild(status);
    }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      navigator.clipboard.writeText(link.href).then(function () {
        if (!status) return;
        status.textContent = status.dataset.copied;
        window.setTimeout(function () { status.textContent = ""; }, 3000);
      }, function () {
        window.location.href = link.href;
      });
    });
  });
})();

// Reactions and bookmarks without a reload. Their buttons submit the thread page's one form, #post-actions (which
// holds the CSRF token), each to its own formaction with its own name and value: the submitted button is sent with
// fetch instead and shows the new state (aria-pressed, the count, and the state its next click asks for: the last
// character of its value, 1 or 0). Buttons without aria-pressed (a moderator's) submit as usual. Anything
// unexpected falls back to the plain form POST, which works without this script.
(function () {
  "use strict";
  var form = document.getElementById("post-actions");
  if (!window.fetch || !form) return;

  function show(button, message) {
    var signals = button.closest(".post__signals");
    var status = signals && signals.querySelector(".post__signal-status");
    if (status) status.textContent = message;
  }

  // The plain POST of this one button, as the browser would have sent it without this script.
  function submitPlainly(button) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = button.name;
    field.value = button.value;
    form.appendChild(field);
    form.action = button.formAction;
    form.submit(); // the server's answer, whatever it is, on a page of its own
  }

  // Each post's live region for a refusal, made before it is used (screen readers announce a change, not an arrival).
  document.querySelectorAll(".post__signals").forEach(function (signals) {
    if (!signals.querySelector("button[form=post-actions]")) return;
    var status = document.createElement("p");
    status.className = "post__signal-status";
    status.setAttribute("role", "status");
    signals.appendChild(status);
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.hasAttribute("aria-pressed") || !/[01]$/.test(button.value)) return;
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    show(button, "");
    var body = new FormData(form);
    body.append(button.name, button.value);
    fetch(button.formAction, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") !== 0) throw new Error("not JSON");
        return response.json();
      })
      .then(function (data) {
        if (data.error) {
          show(button, data.error);
          return;
        }
        var pressed = data.pressed !== undefined ? data.pressed : data.bookmarked;
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
        button.value = button.value.slice(0, -1) + (pressed ? "0" : "1");
        var count = button.querySelector(".reaction__count");
        if (count && typeof data.count === "number") count.textContent = String(data.count);
      })
      .then(function () { button.disabled = false; })
      .catch(function () {
        button.disabled = false;
        submitPlainly(button);
      });
  });

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
})();

(function () {
  "use strict";
  // The other-language version's legend says which language it is for: the one the original is not in.
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
