//! Just enough of shopspring/decimal for Sprig's float math (`addf`, `subf`, `mulf`, `divf`): exact
//! decimal arithmetic on the shortest decimal form of each float64, division rounded to 16 places,
//! falling back to float64 arithmetic if the exact form does not fit.

#[derive(Clone, Copy, Debug)]
struct Dec {
    mant: i128,
    exp: i32,
}

/// The arithmetic operation.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (rounded to 16 decimal places, half away from zero)
    Div,
}

fn from_f64(f: f64) -> Option<Dec> {
    if !f.is_finite() {
        return None;
    }
    let s = format!("{f:e}");
    let (m, e) = s.split_once('e')?;
    let e: i32 = e.parse().ok()?;
    let neg = m.starts_with('-');
    let m = m.trim_start_matches('-');
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let digits = format!("{int}{frac}");
    let mut mant: i128 = digits.parse().ok()?;
    if neg {
        mant = -mant;
    }
    Some(Dec {
        mant,
        exp: e - frac.len() as i32,
    })
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn to_f64(d: Dec) -> f64 {
    format!("{}e{}", d.mant, d.exp).parse().unwrap_or(f64::NAN)
}

fn exact(a: Dec, b: Dec, op: Op) -> Option<Dec> {
    match op {
        Op::Add | Op::Sub => {
            let exp = a.exp.min(b.exp);
            let am = a.mant.checked_mul(pow10((a.exp - exp) as u32)?)?;
            let bm = b.mant.checked_mul(pow10((b.exp - exp) as u32)?)?;
            let mant = if matches!(op, Op::Add) {
                am.checked_add(bm)?
            } else {
                am.checked_sub(bm)?
            };
            Some(Dec { mant, exp })
        }
        Op::Mul => Some(Dec {
            mant: a.mant.checked_mul(b.mant)?,
            exp: a.exp.checked_add(b.exp)?,
        }),
        Op::Div => {
            if b.mant == 0 {
                return None;
            }
            let s = a.exp - b.exp + 16;
            let (num, den) = if s >= 0 {
                (a.mant.checked_mul(pow10(s as u32)?)?, b.mant)
            } else {
                (a.mant, b.mant.checked_mul(pow10((-s) as u32)?)?)
            };
            let q = num / den;
            let r = num % den;
            let q = if r.checked_mul(2)?.abs() >= den.abs() {
                if (num < 0) ^ (den < 0) { q - 1 } else { q + 1 }
            } else {
                q
            };
            Some(Dec { mant: q, exp: -16 })
        }
    }
}

/// `a op b` as shopspring/decimal computes it, converted back to float64.
pub fn apply(a: f64, b: f64, op: Op) -> f64 {
    if let (Some(x), Some(y)) = (from_f64(a), from_f64(b))
        && let Some(d) = exact(x, y, op)
    {
        return to_f64(d);
    }
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_ops() {
        assert_eq!(apply(0.1, 3.0, Op::Mul), 0.3);
        assert_eq!(apply(1.1, 2.2, Op::Add), 3.3);
        assert_eq!(apply(1.0, 3.0, Op::Div), 0.3333333333333333);
    }
}
