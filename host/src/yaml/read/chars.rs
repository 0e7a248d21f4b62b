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

impl CharIndex {
    pub(super) fn new(text: &str) -> Self {
        let mut wide: Vec<(usize, usize)> = Vec::new();
        if !text.is_ascii() {
            // Bytes so far that are not the first of a char (UTF-8 continuation bytes).
            let mut extra = 0;
            for (i, &b) in text.as_bytes().iter().enumerate() {
                if b & 0xC0 == 0x80 {
                    extra += 1;
                    let next = (i + 1 - extra, i + 1);
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
