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
