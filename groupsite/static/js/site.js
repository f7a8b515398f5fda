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

  // "Copy link" under each post of a thread page, made here: the post's number and time are its link without this
  // script (a long page does not repeat the words 200 times). With a clipboard (a secure context), the button copies the
  // permalink's absolute address and a live region beside it says so.
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("article.post > header .post__meta").forEach(function (permalink) {
      var post = permalink.closest("article");
      var actions = post.querySelector(":scope > footer");
      if (!actions) {
        actions = document.createElement("footer");
        post.appendChild(actions);
      }
      var share = document.createElement("span");
      share.className = "post-share";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button post__action-button";
      button.textContent = gettext("Copy link");
      var status = document.createElement("span");
      status.className = "post-share__status";
      status.setAttribute("role", "status");
      share.appendChild(button);
      share.appendChild(status);
      actions.appendChild(share);
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(permalink.href).then(function () {
          status.textContent = gettext("Link copied");
          window.setTimeout(function () { status.textContent = ""; }, 3000);
        }, function () {
          window.location.href = permalink.href;
        });
      });
    });
  }
})();

// Reactions and bookmarks without a reload. Their buttons submit the thread page's one form, #post-actions (which
// holds the CSRF token), each to its own formaction with its own name and value: the submitted button is sent with
// fetch instead and shows the new state (aria-pressed, the count, and the state its next click asks for: the last
// character of its value, 1 or 0). Buttons without aria-pressed (a moderator's) submit as usual. Anything
// unexpected falls back to the plain form POST, which works without this script.
//
// A post shows only the reactions it has, as pills; its "React" link (to the post's react address, whose page
// offers all four without script) opens a picker instead: a copy of the page's one <template id="reaction-picker">
// whose buttons post to that same address. A press in the picker or on a pill updates both, and adds the pill of a
// reaction given first or removes the one nobody gives any more.
(function () {
  "use strict";
  var form = document.getElementById("post-actions");
  if (!window.fetch || !form) return;
  var pickerTemplate = document.getElementById("reaction-picker");

  function statusOf(post) {
    return post && post.querySelector(":scope > .post__signal-status");
  }

  function show(button, message) {
    var status = statusOf(button.closest("article"));
    if (status) status.textContent = message;
  }

  function kindOf(button) {
    return button.value.split(":")[0];
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

  function reactLinkOf(post) {
    return post.querySelector(':scope > footer > a[href$="/react/"]');
  }

  // The post's pill for a kind, made from the picker's button of that kind the first time it is given.
  function pillFor(post, kind, create) {
    var row = post.querySelector(":scope > .reactions");
    var pill = row && row.querySelector('button[value^="' + kind + ':"]');
    if (pill || !create || !pickerTemplate) return pill;
    var model = pickerTemplate.content.querySelector('button[value^="' + kind + ':"]');
    var link = reactLinkOf(post);
    if (!model || !link) return null;
    if (!row) {
      row = document.createElement("div");
      row.className = "reactions";
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", pickerTemplate.content.firstElementChild.getAttribute("aria-label"));
      // Above the picker if it is open: the pills, the picker, then the post's actions.
      post.insertBefore(row, post.querySelector(":scope > .reaction-picker") || post.querySelector(":scope > footer"));
    }
    var label = model.textContent.replace(model.firstElementChild.textContent, "").trim();
    pill = document.createElement("button");
    pill.setAttribute("form", "post-actions");
    pill.formAction = link.href;
    pill.name = "set";
    pill.value = kind + ":1";
    pill.className = "reaction";
    pill.title = label;
    var emoji = document.createElement("span");
    emoji.setAttribute("role", "img");
    emoji.setAttribute("aria-label", label);
    emoji.textContent = model.firstElementChild.textContent;
    var count = document.createElement("span");
    count.className = "reaction__count";
    pill.appendChild(emoji);
    pill.appendChild(document.createTextNode(" "));
    pill.appendChild(count);
    // In the kinds' fixed order, before "Who reacted".
    var kinds = Array.prototype.map.call(pickerTemplate.content.querySelectorAll("button"), kindOf);
    var after = Array.prototype.find.call(row.querySelectorAll("button.reaction"), function (other) {
      return kinds.indexOf(kindOf(other)) > kinds.indexOf(kind);
    });
    row.insertBefore(pill, after || row.querySelector(".reactions__who"));
    return pill;
  }

  function setPressed(button, pressed) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.value = button.value.replace(/[01]$/, pressed ? "0" : "1");
  }

  // A reaction's new state, on its pill (made or removed as its count asks) and on the open picker's button.
  function showReaction(post, kind, pressed, count) {
    var pill = pillFor(post, kind, count > 0);
    if (pill && count > 0) {
      setPressed(pill, pressed);
      pill.querySelector(".reaction__count").textContent = String(count);
    } else if (pill) {
      var row = pill.parentNode;
      var focused = document.activeElement === pill;
      pill.remove();
      if (!row.querySelector("button, a")) row.remove();
      var link = reactLinkOf(post);
      if (focused && link) link.focus();
    }
    var picker = post.querySelector(":scope > .reaction-picker");
    var choice = picker && picker.querySelector('button[value^="' + kind + ':"]');
    if (choice) setPressed(choice, pressed);
  }

  function closePicker(post, refocus) {
    var picker = post.querySelector(":scope > .reaction-picker");
    var link = reactLinkOf(post);
    if (picker) picker.remove();
    if (link) {
      link.setAttribute("aria-expanded", "false");
      if (refocus) link.focus();
    }
  }

  function openPicker(post, link) {
    document.querySelectorAll("article.post > .reaction-picker").forEach(function (open) {
      closePicker(open.parentNode, false);
    });
    var picker = pickerTemplate.content.firstElementChild.cloneNode(true);
    picker.id = "reaction-picker-" + post.id;
    picker.querySelectorAll("button").forEach(function (button) {
      button.formAction = link.href;
      var pill = pillFor(post, kindOf(button), false);
      if (pill) setPressed(button, pill.getAttribute("aria-pressed") === "true");
    });
    var more = picker.querySelector(".reaction-picker__more");
    if (more) more.href = link.href;
    post.insertBefore(picker, post.querySelector(":scope > footer"));
    link.setAttribute("aria-controls", picker.id);
    link.setAttribute("aria-expanded", "true");
    picker.querySelector("button").focus();
  }

  if (pickerTemplate) {
    document.querySelectorAll('article.post > footer > a[href$="/react/"]').forEach(function (link) {
      var post = link.closest("article");
      link.setAttribute("role", "button");
      link.setAttribute("aria-expanded", "false");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        if (link.getAttribute("aria-expanded") === "true") {
          closePicker(post, true);
        } else {
          openPicker(post, link);
        }
      });
      link.addEventListener("keydown", function (event) {
        if (event.key === " ") { // a button's key, now that the link acts as one
          event.preventDefault();
          link.click();
        }
      });
    });
    // Escape closes an open picker and gives "React" the focus again; a click elsewhere closes it, as a menu would.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("article.post > .reaction-picker").forEach(function (open) {
        closePicker(open.parentNode, true);
      });
    });
    document.addEventListener("click", function (event) {
      if (event.target.closest(".reaction-picker, a[aria-expanded]")) return;
      document.querySelectorAll("article.post > .reaction-picker").forEach(function (open) {
        closePicker(open.parentNode, false);
      });
    });
  }

  // Each post's live region for a refusal, made before it is used (screen readers announce a change, not an arrival).
  document.querySelectorAll("article.post").forEach(function (post) {
    if (!post.querySelector('button[form=post-actions], :scope > footer > a[href$="/react/"]')) return;
    var status = document.createElement("p");
    status.className = "post__signal-status";
    status.setAttribute("role", "status");
    post.appendChild(status);
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.hasAttribute("aria-pressed") || !/[01]$/.test(button.value)) return;
    event.preventDefault();
    // Busy rather than disabled while it is sent: a disabled button would lose the keyboard's focus.
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    show(button, "");
    var post = button.closest("article");
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
        button.removeAttribute("aria-busy");
        if (data.error) {
          show(button, data.error);
          return;
        }
        if (data.kind && post && typeof data.count === "number") {
          showReaction(post, data.kind, data.pressed, data.count);
          return;
        }
        setPressed(button, data.bookmarked);
      })
      .catch(function () {
        button.removeAttribute("aria-busy");
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
