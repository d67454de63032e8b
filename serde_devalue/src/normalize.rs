//! Rewrites devalue text that the one-pass writer produced into exactly what
//! `devalue.stringify` writes for the same JavaScript value, in the rare
//! cases where they differ: objects whose array-index keys (`"0"`, `"42"`)
//! were not first and ascending (JavaScript enumerates them first), and
//! objects or Maps with a repeated key (JavaScript keeps the first position
//! and the last value). Slots are renumbered in the order `stringify` would
//! meet them, and values that became unreachable are dropped.

use std::collections::HashMap;

use super::doc::{Atom, Doc, Slot};
use super::error::Error;
use super::escape::{self, write_index};
use super::ser::{Index, Writer};

pub(crate) fn normalize(text: &str, max_depth: usize) -> Result<String, Error> {
    let doc = Doc::parse(text, true)?;
    if doc.root < 0 {
        return Ok(text.to_owned());
    }
    Writer::with(max_depth, |w| {
        let root = emit(&doc, w, 0)?;
        Ok(w.finish(root))
    })
}

fn index(atom: &Atom) -> Result<Index, Error> {
    match atom {
        Atom::Int(i) => Ok(*i),
        _ => Err(Error::new("internal: malformed slot while normalising")),
    }
}

/// Emits an array (`prefix` = `[`) or a Set (`prefix` = `["Set"`): the
/// prefix, then the normalised index of every atom, comma-separated.
fn emit_list(doc: &Doc<'_>, w: &mut Writer, prefix: &str, atoms: &[Atom]) -> Result<Index, Error> {
    // The container's slot comes before its children's, as in stringify.
    let out = w.alloc();
    let mut buf = w.take_buf();
    buf.push_str(prefix);
    for atom in atoms {
        let child = emit(doc, w, index(atom)?)?;
        if !buf.ends_with('[') {
            buf.push(',');
        }
        write_index(&mut buf, child);
    }
    buf.push(']');
    w.set_slot(out, &buf);
    w.give_buf(buf);
    Ok(out)
}

fn emit(doc: &Doc<'_>, w: &mut Writer, i: Index) -> Result<Index, Error> {
    if i < 0 {
        return Ok(i);
    }
    let n = i as usize;
    let slot = *doc
        .slots()
        .get(n)
        .ok_or_else(|| Error::new("internal: index out of range while normalising"))?;
    match slot {
        Slot::Null
        | Slot::Bool(_)
        | Slot::Int(_)
        | Slot::UInt(_)
        | Slot::Float(_)
        | Slot::Str(_) => Ok(w.raw_primitive(doc.slot_text(n))),
        Slot::Object { start, len } => {
            let out = w.alloc();
            // First position, last value; then array indices first, ascending.
            let mut order: Vec<(Option<u32>, &str, Index)> = Vec::with_capacity(len as usize);
            let mut position: HashMap<&str, usize> = HashMap::with_capacity(len as usize);
            for (key, value) in doc.entries(start, len) {
                let key = doc.str(*key);
                let value = index(value)?;
                match position.get(key) {
                    Some(&p) => order[p].2 = value,
                    None => {
                        position.insert(key, order.len());
                        order.push((escape::array_index(key), key, value));
                    }
                }
            }
            order.sort_by_key(|(array_index, _, _)| match array_index {
                Some(k) => (0, *k),
                None => (1, 0),
            });
            let mut buf = w.take_buf();
            buf.push('{');
            for (k, (_, key, value)) in order.into_iter().enumerate() {
                let child = emit(doc, w, value)?;
                if k > 0 {
                    buf.push(',');
                }
                escape::write_quoted(&mut buf, key);
                buf.push(':');
                write_index(&mut buf, child);
            }
            buf.push('}');
            w.set_slot(out, &buf);
            w.give_buf(buf);
            Ok(out)
        }
        Slot::Array { start, len } => {
            let atoms = doc.atoms(start, len);
            match doc.tag(slot) {
                None => emit_list(doc, w, "[", atoms),
                Some("BigInt") => Ok(w.raw_primitive(doc.slot_text(n))),
                Some("Set") => emit_list(doc, w, "[\"Set\"", &atoms[1..]),
                Some("Map") => {
                    let out = w.alloc();
                    // Keys are slot indices: equal primitives share one.
                    let mut order: Vec<(Index, Index)> = Vec::new();
                    let mut position: HashMap<Index, usize> = HashMap::new();
                    for pair in atoms[1..].chunks(2) {
                        let key = index(&pair[0])?;
                        let value = index(pair.get(1).unwrap_or(&Atom::Other))?;
                        match position.get(&key) {
                            Some(&p) => order[p].1 = value,
                            None => {
                                position.insert(key, order.len());
                                order.push((key, value));
                            }
                        }
                    }
                    let mut buf = w.take_buf();
                    buf.push_str("[\"Map\"");
                    for (key, value) in order {
                        let key = emit(doc, w, key)?;
                        let value = emit(doc, w, value)?;
                        buf.push(',');
                        write_index(&mut buf, key);
                        buf.push(',');
                        write_index(&mut buf, value);
                    }
                    buf.push(']');
                    w.set_slot(out, &buf);
                    w.give_buf(buf);
                    Ok(out)
                }
                Some("Uint8Array") => {
                    let out = w.alloc();
                    let buffer = emit(doc, w, index(atoms.get(1).unwrap_or(&Atom::Other))?)?;
                    w.set_slot_with(out, |o| {
                        o.push_str("[\"Uint8Array\",");
                        write_index(o, buffer);
                        o.push(']');
                    });
                    Ok(out)
                }
                // Date, URL, RegExp, ArrayBuffer: leaves, kept as written.
                Some(_) => {
                    let out = w.alloc();
                    w.set_slot(out, doc.slot_text(n));
                    Ok(out)
                }
            }
        }
    }
}
