package main

// command:local:Command: runs the command on the machine of the engine, as upstream does:
// interpreter (default /bin/sh -c) + command, in dir (default: the provider's working directory),
// with the provider's environment plus "environment" plus, when addPreviousOutputInEnv (default
// true), PULUMI_COMMAND_STDOUT/STDERR of the previous run (only when non-empty), and stdin when
// non-empty. Cancellation terminates the whole process group.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const (
	envPrevStdout = "PULUMI_COMMAND_STDOUT"
	envPrevStderr = "PULUMI_COMMAND_STDERR"
)

// runSpec is what a single run needs besides the resource-specific inputs.
type runSpec struct {
	command       string
	commandSecret bool
	prevStdout    string
	prevStderr    string
	log           logFunc
	red           *redactor
}

func localEnv(in localInputs, spec runSpec) []string {
	env := os.Environ()
	for k, v := range in.Environment {
		env = append(env, k+"="+v)
	}
	if in.AddPreviousOutputInEnv {
		if spec.prevStdout != "" {
			env = append(env, envPrevStdout+"="+spec.prevStdout)
		}
		if spec.prevStderr != "" {
			env = append(env, envPrevStderr+"="+spec.prevStderr)
		}
	}
	return env
}

// localDir is where a local command runs: dir, or the provider's working directory.
func localDir(in localInputs) (string, error) {
	if in.Dir != nil {
		return *in.Dir, nil
	}
	return os.Getwd()
}

func runLocal(ctx context.Context, in localInputs, spec runSpec) (stdout, stderr string, err error) {
	args := in.Interpreter
	if len(args) == 0 {
		args = []string{"/bin/sh", "-c"}
	}
	args = append(append([]string(nil), args...), spec.command)

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole process group: the shell and what it started.
		if cmd.Process == nil {
			return nil
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		go func(pid int) {
			time.Sleep(5 * time.Second)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}(cmd.Process.Pid)
		return nil
	}
	cmd.WaitDelay = 10 * time.Second
	if cmd.Dir, err = localDir(in); err != nil {
		return "", "", err
	}
	cmd.Env = localEnv(in, spec)
	if in.Stdin != nil && len(*in.Stdin) > 0 {
		cmd.Stdin = strings.NewReader(*in.Stdin)
	}

	c := newCapture(in.Logging, spec.log, spec.red)
	cmd.Stdout, cmd.Stderr = c.writers()
	runErr := cmd.Run()
	stdout, stderr = c.finish()
	if runErr != nil {
		if ctx.Err() != nil {
			runErr = fmt.Errorf("cancelled (%v)", runErr)
		}
		var exitErr *exec.ExitError
		if !errors.As(runErr, &exitErr) && ctx.Err() == nil {
			// Could not start: a missing interpreter or dir.
			return "", "", fmt.Errorf("%s: running %s", spec.red.redact(runErr.Error()), cmdLabel(spec))
		}
		return "", "", c.failure(runErr, "the machine running Pulumi", spec.red)
	}
	return stdout, stderr, nil
}

func cmdLabel(spec runSpec) string {
	if spec.commandSecret {
		return "the command (secret, not shown)"
	}
	return spec.red.redact(fmt.Sprintf("%q", spec.command))
}
