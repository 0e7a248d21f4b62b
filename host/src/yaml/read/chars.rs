//! Character positions to byte offsets, for slicing the text at saphyr's positions.

/// saphyr's positions count characters; slicing the text needs bytes. Only the non-ASCII
/// characters are recorded (a pipeline of 500 releases is 2.7 million characters; one byte
/// offset per character cost 21 MB and a tenth of the read).
pub(super) struct CharIndex {
    /// For each run of text after a non-ASCII character: (index of its first char, its byte
    /// offset), in order. Empty for ASCII text, where chars and bytes are equal.
    wide: Vec<(usize, usize)>,
    len: usize,
}

/// Bytes looked at together for ASCII (a pipeline is nearly all ASCII).
const BLOCK: usize = 32;

impl CharIndex {
    pub(super) fn new(text: &str) -> Self {
        let mut wide: Vec<(usize, usize)> = Vec::new();
        if !text.is_ascii() {
            // Bytes so far that are not the first of a char (UTF-8 continuation bytes).
            let mut extra = 0;
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                // Blocks of ASCII hold no continuation byte: passed over whole.
                if bytes.get(i..i + BLOCK).is_some_and(<[u8]>::is_ascii) {
                    i += BLOCK;
                    continue;
                }
                let b = bytes[i];
                i += 1;
                if b & 0xC0 == 0x80 {
                    extra += 1;
                    let next = (i - extra, i);
                    match wide.last_mut() {
                        Some(last) if last.0 == next.0 => *last = next,
                        _ => wide.push(next),
                    }
                }
            }
        }
        CharIndex {
            wide,
            len: text.len(),
        }
    }

    pub(super) fn byte(&self, char_index: usize) -> usize {
        let run = self.wide.partition_point(|&(c, _)| c <= char_index);
        let byte = match run.checked_sub(1) {
            None => char_index,
            Some(r) => {
                let (c, b) = self.wide[r];
                b + (char_index - c)
            }
        };
        byte.min(self.len)
    }
}
