package regtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// process is one running daemon, in its own process group.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // the exit status, once done is closed
}

// startProcess starts binary with args, its output appended to logPath.
func startProcess(name, binary, logPath string, args ...string) (*process, error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// A group of its own, so a last-resort kill reaches anything it
		// spawned and a ^C in the terminal reaches only the test binary.
		Setpgid: true,
		// Die with the test binary (a panic, a -timeout), leaving no
		// daemon behind. Linux only, like the binaries this package runs.
		Pdeathsig: syscall.SIGKILL,
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked the child exits, not
		// the process: fork from a thread locked to this goroutine, which
		// lives as long as the child.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer out.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process group.
func (p *process) signal(sig syscall.Signal) {
	if !p.exited() {
		syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// wait waits up to timeout for the process to exit and kills its group if
// it does not. It reports whether the process exited by itself.
func (p *process) wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
	}
	p.signal(syscall.SIGKILL)
	<-p.done
	return false
}

// logContains reports whether the process's output contains s.
func (p *process) logContains(s string) bool {
	b, _ := os.ReadFile(p.logPath)
	return bytes.Contains(b, []byte(s))
}

// logTail returns the last n bytes of the process's output, for errors.
func (p *process) logTail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// errPortTaken marks a start that failed because another process took one
// of the ports picked for it; the caller picks new ones.
var errPortTaken = errors.New("port taken")

// exitError describes a process that ended while it was expected to run.
func (p *process) exitError() error {
	if p.logContains("address already in use") {
		return fmt.Errorf("%s exited: %w", p.name, errPortTaken)
	}
	return fmt.Errorf("%s exited (%v); end of %s:\n%s", p.name, p.err, p.logPath, p.logTail(2000))
}

// freePorts returns n distinct loopback addresses nothing listens on now.
// Another process may take one before the daemon binds it; the daemon then
// fails with "address already in use" and its start is retried.
func freePorts(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		// Held open until all are picked, so that they differ.
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}
