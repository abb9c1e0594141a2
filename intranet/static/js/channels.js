// Channels: the live Markdown preview and the «copy» button. Pages work without them.
(() => {
  "use strict";

  // The preview asks the server, which renders with the same renderer as the published
  // page (markdown-it-py, then nh3): what the author sees is what readers get.
  const source = document.querySelector("textarea[data-preview]");
  const target = source && document.getElementById(source.dataset.preview);
  if (source && target) {
    const form = source.form;
    const token = form && form.querySelector("input[name='csrf_token']");
    let timer = null;
    let sent = 0;
    const render = () => {
      const text = source.value;
      if (!text.trim()) {
        target.textContent = "";
        const hint = document.createElement("p");
        hint.className = "text-body-secondary mb-0";
        hint.textContent = target.dataset.empty || "";
        target.appendChild(hint);
        return;
      }
      const body = new FormData();
      body.append("body", text);
      if (token) body.append("csrf_token", token.value);
      const mine = ++sent;
      fetch(target.dataset.url, { method: "POST", body, credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => {
          // Only the newest answer counts; the HTML was cleaned on the server.
          if (mine === sent) target.innerHTML = html;
        })
        .catch(() => {});
    };
    source.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    render();
  }

  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const field = document.getElementById(button.dataset.copy);
      if (!field) return;
      const done = () => {
        button.textContent = button.dataset.copied || button.textContent;
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, () => {
          field.select();
          document.execCommand("copy");
          done();
        });
      } else {
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });
})();
