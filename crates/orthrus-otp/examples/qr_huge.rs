//! Measures QR decoding of a huge, mostly blank PNG (issue 11, finding 2):
//! `cargo run --release -p orthrus-otp --example qr_huge [side]` prints the
//! file size, the decode result, the wall time and the peak resident memory.

#[path = "../tests/support/blank_png.rs"]
mod blank_png;

use std::time::Instant;

fn main() {
    let side: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(12_000);
    let png = blank_png::blank_png(side, side);
    println!("png: {side} x {side}, {} bytes", png.len());
    println!("peak memory before decode: {}", peak_memory());
    let started = Instant::now();
    let result = orthrus_otp::qr::decode_qr(&png);
    let elapsed = started.elapsed();
    println!("result: {result:?}");
    println!("decode time: {:.3} s", elapsed.as_secs_f64());
    println!("peak memory: {}", peak_memory());
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "VmHWM unavailable".into())
}
