//! Which CPUs a thread may run on (its affinity mask), and pinning it to one, with Linux's
//! `sched_getaffinity` and `sched_setaffinity` (`sched_setaffinity(2)`). A thread created
//! afterwards, and a process it forks, inherit the mask. Elsewhere the functions say they
//! cannot, and the examples that use them say so in their output.

/// The CPUs the calling thread may run on now, in increasing order.
#[cfg(target_os = "linux")]
pub fn allowed_cpus() -> Result<Vec<usize>, String> {
    // SAFETY: cpu_set_t is plain data, zero is an empty set; the call gets its size.
    let allowed = unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut allowed) != 0 {
            return Err(format!("sched_getaffinity: {}", std::io::Error::last_os_error()));
        }
        allowed
    };
    // SAFETY: CPU_ISSET reads the set, and checks `cpu` against its size.
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &allowed) }).collect())
}

/// Restricts the calling thread to `cpu`.
#[cfg(target_os = "linux")]
pub fn pin_to(cpu: usize) -> Result<(), String> {
    // SAFETY: as above; CPU_SET checks `cpu` against the set's size.
    unsafe {
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one) != 0 {
            return Err(format!("sched_setaffinity to CPU {cpu}: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// The CPU the calling thread is running on at this instant.
#[cfg(target_os = "linux")]
pub fn current_cpu() -> Option<usize> {
    // SAFETY: no arguments, no memory.
    usize::try_from(unsafe { libc::sched_getcpu() }).ok()
}

#[cfg(not(target_os = "linux"))]
pub fn allowed_cpus() -> Result<Vec<usize>, String> {
    Err("reading a thread's CPU affinity is done here with Linux's sched_getaffinity".into())
}

#[cfg(not(target_os = "linux"))]
pub fn pin_to(_cpu: usize) -> Result<(), String> {
    Err("pinning a thread to a CPU is done here with Linux's sched_setaffinity".into())
}

#[cfg(not(target_os = "linux"))]
pub fn current_cpu() -> Option<usize> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_thread_runs_on_its_cpu_and_its_children_inherit_the_mask() {
        let cpus = allowed_cpus().unwrap();
        let last = *cpus.last().expect("some CPU is allowed");
        std::thread::spawn(move || {
            pin_to(last).unwrap();
            assert_eq!(allowed_cpus().unwrap(), vec![last]);
            assert_eq!(current_cpu(), Some(last));
            let child = std::thread::spawn(allowed_cpus).join().unwrap().unwrap();
            assert_eq!(child, vec![last]);
        })
        .join()
        .unwrap();
        // The test's own thread kept its mask.
        assert_eq!(allowed_cpus().unwrap(), cpus);
    }
}
