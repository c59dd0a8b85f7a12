//! Choosing the compute device at run time: `cpu`, `cuda` or `cuda:N`.
use tch::Device;

/// Parses a device name and checks that it exists.
pub fn parse_device(s: &str) -> Result<Device, String> {
    let s = s.trim().to_ascii_lowercase();
    if s == "cpu" {
        return Ok(Device::Cpu);
    }
    let index = match s.as_str() {
        "cuda" | "gpu" => 0,
        _ => match s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(i) => i,
            None => {
                return Err(format!(
                    "unknown device `{s}`: expected cpu, cuda or cuda:N"
                ))
            }
        },
    };
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
