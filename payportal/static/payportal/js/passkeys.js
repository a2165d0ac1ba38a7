// Passkeys (WebAuthn): run the browser's ceremony for a form with
// data-passkey="create" (add one) or "get" (sign in), then post the answer
// as JSON in its hidden "credential" field. The options come from the
// page (a JSON data block, no inline script); the server checks the rest.
// The forms' buttons come disabled and are enabled here, so a press before
// this script has loaded (or with JavaScript off) cannot post an empty answer.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
    publicKey.excludeCredentials = descriptors(options.excludeCredentials);
    return { publicKey: publicKey };
  }

  function requestOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.allowCredentials = descriptors(options.allowCredentials);
    return { publicKey: publicKey };
  }

  function answer(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) {
        json.response.transports = response.getTransports();
      }
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(json);
  }

  function say(form, text) {
    var status = form.querySelector("[data-passkey-status]");
    if (status) {
      status.textContent = text;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var mode = form.getAttribute("data-passkey");
    if (!mode) {
      return;
    }
    var field = form.querySelector("input[name=credential]");
    if (field.value) {
      return; // the answer is in: let the form go
    }
    event.preventDefault();
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, "This browser can't use passkeys.");
      return;
    }
    var data = document.getElementById(form.getAttribute("data-passkey-options"));
    var options = JSON.parse(data.textContent);
    var ceremony =
      mode === "create"
        ? navigator.credentials.create(creationOptions(options))
        : navigator.credentials.get(requestOptions(options));
    say(form, "Waiting for your passkey…");
    ceremony.then(
      function (credential) {
        field.value = answer(credential);
        form.submit();
      },
      function () {
        say(form, "No passkey was used. Press the button to try again.");
      }
    );
  });

  var buttons = document.querySelectorAll("form[data-passkey] [data-passkey-button]");
  for (var i = 0; i < buttons.length; i += 1) {
    buttons[i].disabled = false;
  }
})();
