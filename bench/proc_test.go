package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times; 100 on
// every Linux Go supports.
const clockTicks = 100

// cpuTime is the user and system CPU time a process has used so far.
func cpuTime(pid int) time.Duration {
	f := statFields(pid)
	if len(f) < 13 {
		return 0
	}
	return ticks(f[11], f[12])
}

// treeCPU is the CPU time of a process and its children so far: the
// living children's own, the ended ones' as the kernel charged them to the
// process when it waited for them (cutime and cstime). PostgreSQL's server
// and its backends: a backend that ends between two readings moves from the
// one sum to the other.
func treeCPU(pid int) time.Duration {
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	sum := ticks(f[11], f[12], f[13], f[14])
	for _, child := range childrenOf(pid) {
		if c := statFields(child); len(c) >= 15 {
			sum += ticks(c[11], c[12], c[13], c[14])
		}
	}
	return sum
}

// statFields are the fields of /proc/<pid>/stat after the command name
// (which is in parentheses and may hold spaces): state, ppid, ….
func statFields(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// ticks sums clock-tick counts into a duration.
func ticks(fields ...string) time.Duration {
	var n int64
	for _, f := range fields {
		v, _ := strconv.ParseInt(f, 10, 64)
		n += v
	}
	return time.Duration(n) * time.Second / clockTicks
}

// childrenOf lists the child processes of pid.
func childrenOf(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := strconv.Itoa(pid)
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(child); len(f) >= 2 && f[1] == parent {
			out = append(out, child)
		}
	}
	return out
}

// childWith finds a child process of this one whose command line holds
// every one of words, 0 if none does.
func childWith(words ...string) int {
	for _, pid := range childrenOf(os.Getpid()) {
		cmd, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil {
			continue
		}
		line := string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			return pid
		}
	}
	return 0
}

// machineBusy is the CPU time the whole machine has spent busy since boot:
// /proc/stat's first line, every state but idle and iowait (guest time is
// already in user).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	// user nice system idle iowait irq softirq steal
	return ticks(f[1], f[2], f[3], f[6], f[7], f[8])
}
