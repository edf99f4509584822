// Video page: shows the playback position and seeks on button presses.
"use strict";

(function () {
  const video = document.getElementById("video");
  const current = document.getElementById("current-time");
  const duration = document.getElementById("duration");
  const toggle = document.getElementById("play-toggle");
  const controls = document.getElementById("video-controls");
  const source = document.getElementById("video-source");
  if (!video || !current || !duration || !toggle || !controls || !source) return;

  /** Seconds with two decimals, or a dash when unknown. */
  function seconds(value) {
    return Number.isFinite(value) ? value.toFixed(2) : "–";
  }

  /** Moves the playhead, kept inside the clip. */
  function seek(time) {
    const end = Number.isFinite(video.duration) ? video.duration : time;
    video.currentTime = Math.min(Math.max(time, 0), end);
  }

  function showTime() {
    current.textContent = seconds(video.currentTime);
  }

  function showSource() {
    const name = video.currentSrc ? video.currentSrc.split("/").pop() : "none";
    const ranges = [];
    for (let i = 0; i < video.seekable.length; i++) {
      ranges.push(`${seconds(video.seekable.start(i))}–${seconds(video.seekable.end(i))} s`);
    }
    source.textContent = `Source: ${name}` +
      (ranges.length > 0 ? ` · seekable ${ranges.join(", ")}` : "");
  }

  video.addEventListener("timeupdate", showTime);
  video.addEventListener("seeked", showTime);
  video.addEventListener("loadedmetadata", () => {
    duration.textContent = seconds(video.duration);
    showTime();
    showSource();
  });
  video.addEventListener("durationchange", () => {
    duration.textContent = seconds(video.duration);
  });
  video.addEventListener("progress", showSource);
  video.addEventListener("play", () => {
    toggle.textContent = "Pause";
  });
  video.addEventListener("pause", () => {
    toggle.textContent = "Play";
  });
  video.addEventListener("error", () => {
    source.textContent = "The video could not be loaded.";
  });

  toggle.addEventListener("click", () => {
    if (video.paused || video.ended) {
      // play() rejects when the browser blocks or aborts playback; the button simply stays "Play".
      video.play().catch(() => {});
    } else {
      video.pause();
    }
  });

  controls.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (!button) return;
    if (button.dataset.seek !== undefined) seek(Number(button.dataset.seek));
    else if (button.dataset.step !== undefined) {
      seek(video.currentTime + Number(button.dataset.step));
    }
  });

  // Metadata may already be there when this deferred script runs.
  if (video.readyState >= 1) {
    duration.textContent = seconds(video.duration);
    showSource();
  }
})();
