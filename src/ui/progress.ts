// A spinner for one test and a progress line for many, on stderr, only on a
// terminal. Both erase themselves before anything else is printed.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  update(text: string): void;
  stop(): void;
}

export const silentProgress: Progress = { update() {}, stop() {} };

export function startProgress(text: string, enabled: boolean): Progress {
  if (!enabled) return silentProgress;
  let frame = 0;
  let current = text;
  const draw = () => {
    process.stderr.write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`);
  };
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  return {
    update(next) {
      current = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\u001b[2K');
    },
  };
}
