//! Choosing the compute device at run time: `cpu`, `cuda` or `cuda:N`.
use tch::Device;

/// The CUDA index a device name asks for (`None` for the CPU), without asking whether it
/// exists: for jobs that will run elsewhere (`atrophy slurm`).
pub fn device_index(s: &str) -> Result<Option<usize>, String> {
    let s = s.trim().to_ascii_lowercase();
    match s.as_str() {
        "cpu" => Ok(None),
        "cuda" | "gpu" => Ok(Some(0)),
        _ => s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse::<usize>().ok())
            .map(Some)
            .ok_or_else(|| format!("unknown device `{s}`: expected cpu, cuda or cuda:N")),
    }
}

/// Parses a device name and checks that it exists.
pub fn parse_device(s: &str) -> Result<Device, String> {
    let Some(index) = device_index(s)? else {
        return Ok(Device::Cpu);
    };
    let s = s.trim().to_ascii_lowercase();
    if !tch::Cuda::is_available() {
        return Err(format!(
            "device `{s}` requested, but libtorch finds no CUDA device (driver missing, or no GPU on this machine); use --device cpu"
        ));
    }
    let count = tch::Cuda::device_count() as usize;
    if index >= count {
        return Err(format!(
            "device `{s}` requested, but there are only {count} CUDA device(s): cuda:0..cuda:{}",
            count - 1
        ));
    }
    Ok(Device::Cuda(index))
}

/// A one-line description of the device, for logs and run metadata.
pub fn describe(device: Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({} threads)", tch::get_num_threads()),
        Device::Cuda(i) => format!(
            "cuda:{i} (cuDNN {})",
            if tch::Cuda::cudnn_is_available() {
                "on"
            } else {
                "off"
            }
        ),
        d => format!("{d:?}"),
    }
}
