// Links ready to copy. Without this script each is still there to select and copy by hand.
(function () {
  "use strict";

  // Invitation links select themselves on focus, ready to copy.
  document.querySelectorAll(".copy-field").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

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
