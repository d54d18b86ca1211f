//! The app's PNG icons (192 and 512 px, also used as maskable and Apple touch icons),
//! drawn here at start-up: a "B" on the brand colour, inside the maskable safe zone. Two
//! colours at one bit per pixel, so even uncompressed (stored deflate blocks) the large
//! one is 33 KB, and no image crate is needed.

/// Brand blue and white.
const PALETTE: [u8; 6] = [0x0b, 0x5c, 0xad, 0xff, 0xff, 0xff];

/// A 5×7 "B".
const GLYPH: [&str; 7] = [
    "####.", "#...#", "#...#", "####.", "#...#", "#...#", "####.",
];

/// The icon at `size` pixels square, as PNG.
pub fn png(size: u32) -> Vec<u8> {
    let size = size.max(16);
    // The glyph's cells: seven rows over 45% of the height, centred.
    let cell = (size * 45 / 100 / 7).max(1);
    let (width, height) = (cell * 5, cell * 7);
    let (left, top) = ((size - width) / 2, (size - height) / 2);
    let row_bytes = size.div_ceil(8) as usize;
    let mut raw = Vec::with_capacity((row_bytes + 1) * size as usize);
    for y in 0..size {
        raw.push(0); // filter: none
        let mut row = vec![0u8; row_bytes];
        for x in 0..size {
            let inside = x >= left && x < left + width && y >= top && y < top + height;
            let on = inside && {
                let (gx, gy) = (((x - left) / cell) as usize, ((y - top) / cell) as usize);
                GLYPH[gy].as_bytes()[gx] == b'#'
            };
            if on {
                row[(x / 8) as usize] |= 0x80 >> (x % 8);
            }
        }
        raw.extend_from_slice(&row);
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut header = Vec::new();
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&[1, 3, 0, 0, 0]); // 1 bit, palette, deflate, filter 0, no interlace
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"PLTE", &PALETTE);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

/// zlib around deflate's stored (uncompressed) blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icons_are_well_formed_pngs_of_their_size() {
        // The check value of CRC-32 and Adler-32 for "123456789".
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"123456789"), 0x091e_01de);
        for size in [192u32, 512] {
            let png = png(size);
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            assert_eq!(&png[12..16], b"IHDR");
            assert_eq!(png[16..20], size.to_be_bytes());
            assert_eq!(png[20..24], size.to_be_bytes());
            assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
            assert!(png.len() < 40_000, "{}", png.len());
        }
    }
}
