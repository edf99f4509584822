// Upload page: sends files with XMLHttpRequest (for upload progress), lists the upload folder
// from its autoindex page and deletes files with DELETE.
"use strict";

(function () {
  const UPLOADS = "/uploads/";
  // Kept so that the upload folder never ends up empty; the server would allow deleting it.
  const PROTECTED = new Set(["README.txt"]);

  const form = document.getElementById("upload-form");
  const input = document.getElementById("files");
  const uploadButton = document.getElementById("upload-button");
  const cancelButton = document.getElementById("cancel-button");
  const progress = document.getElementById("upload-progress");
  const percent = document.getElementById("upload-percent");
  const uploadStatus = document.getElementById("upload-status");
  const list = document.getElementById("file-list");
  const listStatus = document.getElementById("list-status");
  const refreshButton = document.getElementById("refresh-button");
  if (
    !form || !input || !uploadButton || !cancelButton || !progress || !percent ||
    !uploadStatus || !list || !listStatus || !refreshButton
  ) return;

  /** @type {XMLHttpRequest | null} */
  let current = null;

  /** Shows a message in a status box; kind is "ok", "error" or "" (plain). */
  function say(box, kind, text) {
    box.className = kind ? `status ${kind}` : "status";
    box.textContent = text;
  }

  /** "1.5 KiB" style sizes. */
  function humanSize(bytes) {
    const units = ["B", "KiB", "MiB", "GiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
  }

  /** A sentence for a failed response, with the likely cause for the common statuses. */
  function describeFailure(action, status, statusText) {
    const code = `${status}${statusText ? " " + statusText : ""}`;
    switch (status) {
      case 413:
        return `${action} failed (${code}): the files are larger than the server accepts.`;
      case 403:
        return `${action} failed (${code}): the server does not allow it.`;
      case 404:
        return `${action} failed (${code}): the file no longer exists.`;
      case 405:
        return `${action} failed (${code}): this method is not allowed here.`;
      case 415:
        return `${action} failed (${code}): the server did not accept the form encoding.`;
      default:
        return `${action} failed (${code}).`;
    }
  }

  function setProgress(value) {
    progress.value = value;
    percent.textContent = `${Math.round(value)}%`;
  }

  function setBusy(busy) {
    uploadButton.disabled = busy;
    input.disabled = busy;
    cancelButton.disabled = !busy;
  }

  // Listing ----------------------------------------------------------------

  /**
   * Reads the files of the upload folder from its HTML listing: every link that points to a file
   * directly inside /uploads/ ("../", sub-folders and sort links are skipped).
   */
  function parseListing(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const base = new URL(UPLOADS, location.href);
    const seen = new Set();
    const files = [];
    for (const link of doc.querySelectorAll("a[href]")) {
      const href = link.getAttribute("href") || "";
      if (href === "../" || href.startsWith("?") || href.startsWith("#")) continue;
      const url = new URL(href, base);
      if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) continue;
      const rest = url.pathname.slice(base.pathname.length);
      // The folder itself, sub-folders and deeper paths are not files of this folder.
      if (rest === "" || rest.includes("/")) continue;
      if (seen.has(url.pathname)) continue;
      seen.add(url.pathname);
      let name;
      try {
        name = decodeURIComponent(rest);
      } catch {
        name = link.textContent || rest;
      }
      const row = link.closest("tr");
      const cells = row ? row.querySelectorAll("td") : [];
      const last = cells.length > 1 ? cells[cells.length - 1] : null;
      const size = last ? last.textContent.trim() : "";
      files.push({ name, url: url.pathname, size });
    }
    return files;
  }

  function renderList(files) {
    list.replaceChildren();
    if (files.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "No files yet.";
      list.append(empty);
      return;
    }
    for (const file of files) {
      const item = document.createElement("li");
      const info = document.createElement("span");
      const link = document.createElement("a");
      link.href = file.url;
      link.textContent = file.name;
      info.append(link);
      if (file.size && file.size !== "-") {
        const size = document.createElement("span");
        size.className = "muted";
        size.textContent = ` · ${file.size}`;
        info.append(size);
      }
      item.append(info);
      if (!PROTECTED.has(file.name)) {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "danger";
        remove.textContent = "Delete";
        remove.setAttribute("aria-label", `Delete ${file.name}`);
        remove.addEventListener("click", () => deleteFile(file, remove));
        item.append(remove);
      }
      list.append(item);
    }
  }

  async function refreshList() {
    refreshButton.disabled = true;
    try {
      const response = await fetch(UPLOADS, {
        headers: { Accept: "text/html" },
        cache: "no-store",
      });
      if (!response.ok) {
        say(listStatus, "error", describeFailure("Listing", response.status, response.statusText));
        return;
      }
      renderList(parseListing(await response.text()));
      if (listStatus.classList.contains("error")) say(listStatus, "", "");
    } catch (error) {
      say(
        listStatus,
        "error",
        `Listing failed: ${error instanceof Error ? error.message : error}.`,
      );
    } finally {
      refreshButton.disabled = false;
    }
  }

  async function deleteFile(file, button) {
    button.disabled = true;
    try {
      const response = await fetch(file.url, { method: "DELETE" });
      if (response.ok) {
        say(listStatus, "ok", `Deleted ${file.name}.`);
      } else {
        say(listStatus, "error", describeFailure("Delete", response.status, response.statusText));
      }
    } catch (error) {
      say(listStatus, "error", `Delete failed: ${error instanceof Error ? error.message : error}.`);
    }
    await refreshList();
  }

  // Upload -----------------------------------------------------------------

  /** What the server saved, from its JSON answer; null when the answer is not that JSON. */
  function savedFiles(text) {
    try {
      const data = JSON.parse(text);
      return Array.isArray(data.files) ? data.files : null;
    } catch {
      return null;
    }
  }

  function upload() {
    const count = input.files ? input.files.length : 0;
    if (count === 0) {
      say(uploadStatus, "error", "Choose at least one file first.");
      return;
    }
    const body = new FormData(form);
    const xhr = new XMLHttpRequest();
    current = xhr;
    xhr.open("POST", UPLOADS);
    xhr.setRequestHeader("Accept", "application/json");

    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) {
        setProgress((event.loaded / event.total) * 100);
      }
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        setProgress(100);
        const files = savedFiles(xhr.responseText);
        const names = files ? files.map((f) => `${f.name} (${humanSize(f.size)})`).join(", ") : "";
        say(
          uploadStatus,
          "ok",
          names ? `Uploaded ${names}.` : `Uploaded ${count} file${count === 1 ? "" : "s"}.`,
        );
        form.reset();
      } else {
        setProgress(0);
        say(uploadStatus, "error", describeFailure("Upload", xhr.status, xhr.statusText));
      }
    });
    xhr.addEventListener("error", () => {
      setProgress(0);
      say(
        uploadStatus,
        "error",
        "Upload failed: the connection was closed. The files may be larger than the server accepts.",
      );
    });
    xhr.addEventListener("abort", () => {
      setProgress(0);
      say(uploadStatus, "", "Upload cancelled.");
    });
    xhr.addEventListener("loadend", () => {
      current = null;
      setBusy(false);
      refreshList();
    });

    setBusy(true);
    setProgress(0);
    say(uploadStatus, "", `Uploading ${count} file${count === 1 ? "" : "s"}…`);
    xhr.send(body);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    upload();
  });
  cancelButton.addEventListener("click", () => {
    if (current) current.abort();
  });
  refreshButton.addEventListener("click", () => {
    refreshList();
  });

  refreshList();
})();
