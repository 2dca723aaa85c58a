//! A valid, all-black PNG of any size, written by hand so that tests can
//! make a 12,000 x 12,000 picture in milliseconds (a real encoder would
//! compress 18 MB of pixel rows first). Shared by the orthrus-otp tests, the
//! `qr_huge` example and the orthrus-web tests through `#[path]`.

/// A 1-bit greyscale PNG, all black: every pixel row is zeros, so the zlib
/// stream is one literal followed by 258-byte back-references. Decoders
/// expand it to 8 bits a pixel (144 MB at 12,000 x 12,000).
pub fn blank_png(width: u32, height: u32) -> Vec<u8> {
    let row_bytes = 1 + u64::from(width).div_ceil(8);
    let raw_len = row_bytes * u64::from(height);

    let mut bits = BitWriter::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman codes
    let mut left = raw_len;
    // Literal 0 (fixed code 0b00110000, 8 bits).
    bits.put_code(0b0011_0000, 8);
    left -= 1;
    while left >= 258 {
        // Length 258 is code 285 (0b11000101), distance 1 is code 0 (5 bits).
        bits.put_code(0b1100_0101, 8);
        bits.put_code(0, 5);
        left -= 258;
    }
    for _ in 0..left {
        bits.put_code(0b0011_0000, 8);
    }
    bits.put_code(0, 7); // end of block (256)
    let deflate = bits.finish();

    let mut zlib = vec![0x78, 0x01];
    zlib.extend_from_slice(&deflate);
    // Adler-32 of all-zero data: a stays 1, b grows by 1 per byte.
    let adler = ((raw_len % 65_521) << 16) as u32 | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, slot) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc = table[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ 0xFFFF_FFFF
}

/// Deflate packs bits least-significant first; Huffman codes go in
/// most-significant bit first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    len: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.acc |= ((value >> i) & 1) << self.len;
            self.len += 1;
            if self.len == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.len = 0;
            }
        }
    }

    fn put_code(&mut self, code: u32, count: u32) {
        for i in (0..count).rev() {
            self.put((code >> i) & 1, 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}
