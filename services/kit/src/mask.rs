//! Masks for personal data, one place for every view: phone numbers, identity-document
//! numbers, personal names and addresses.
//!
//! A mask keeps enough to recognise a person one already knows (the surname, the area, the last
//! digits) and never enough to reach them. Whether a caller sees the mask or the real value is
//! the service's policy; what the mask looks like is decided here, so a phone or a name reads
//! the same everywhere. Serving an unmasked value to someone else is recorded with
//! [`crate::audit`].

/// `13812341234` → `138****1234`: enough to recognise, not enough to call. Shorter numbers
/// (landlines) show only their last two digits, so a mask never gives the number away.
pub fn phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if n > 2 {
        let tail: String = chars[n - 2..].iter().collect();
        format!("{}{tail}", "*".repeat(n - 2))
    } else {
        "*".repeat(n)
    }
}

/// An identity-document number: the head says what kind of document and roughly where it was
/// issued, the tail lets a holder recognise their own; the middle (on a mainland ID the date of
/// birth and sequence) never shows.
///
/// - 15 characters or more (mainland resident ID, 18 or old 15): first 2 and last 4,
///   `110101199003077777` → `11************7777`;
/// - 8 to 14 (Taiwan ID `A123456789`, passports, mainland travel permits for Taiwan or Hong
///   Kong residents): first 1 and last 2, `A123456789` → `A*******89`;
/// - 4 to 7: the last character only; shorter: nothing.
///
/// Surrounding whitespace is dropped; a mask has as many characters as the number, so the kind
/// of document stays recognisable.
pub fn id_number(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        15.. => (2, 4),
        8..=14 => (1, 2),
        4..=7 => (0, 1),
        _ => (0, 0),
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' })
        .collect()
}

/// Chinese two-character surnames (复姓) still in use; a name that starts with one keeps both
/// characters (`欧阳娜娜` → `欧阳**`), as a one-character surname keeps one (`张三` → `张*`).
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
    "司徒", "司空", "夏侯", "轩辕", "端木", "西门", "南宫", "独孤", "百里", "呼延", "万俟", "闻人",
    "澹台", "公羊", "申屠", "太史", "钟离", "濮阳", "单于", "赫连", "淳于", "拓跋", "歐陽", "諸葛",
    "司馬", "長孫", "鍾離", "軒轅",
];

/// Separators inside a name that are not part of it and stay visible: the middle dot of
/// transliterated names (`阿依古丽·买买提`) and the spaces of Latin-script ones.
fn name_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '·' | '•' | '・' | '-' | '.')
}

/// A person's name as 姓 + one star per other character: `张三` → `张*`, `李小明` → `李**`,
/// `欧阳娜娜` → `欧阳**` (two-character surnames from a fixed list; a two-character name is
/// always read as surname + given name, `欧阳` → `欧*`). Latin-script names keep their first
/// letter, `Chen Wei` → `C*** ***`. A one-character name is all star.
pub fn name(name: &str) -> String {
    let name = name.trim();
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 1 {
        return "*".repeat(chars.len());
    }
    let keep = if chars.len() >= 3 && COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) {
        2
    } else {
        1
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep || name_separator(*c) {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// What an address shows after its last area- or road-level unit, whatever was there.
const ADDRESS_HIDDEN: &str = "****";

/// Units down to which an address stays readable, simplified and traditional: province, city,
/// district, county, town, subdistrict, community, village, road, street, section, lane.
/// Longer forms first, so `街道` is found before `街`.
const ADDRESS_UNITS: &[&str] = &[
    "街道", "社区", "大道", "省", "市", "区", "區", "县", "縣", "镇", "鎮", "乡", "鄉", "村", "路",
    "街", "道", "段", "巷", "弄", "里",
];

/// Place words that end in a unit character but name a building or compound, which is part of
/// the hidden house part (`金山小区` is a housing estate, not a district).
const NOT_UNITS: &[&str] = &[
    "小区", "小區", "园区", "園區", "校区", "校區", "景区", "超市", "城市",
];

/// An address down to its road (or village, community, district) and no further:
/// `福建省厦门市思明区莲花路123号4栋501室` → `福建省厦门市思明区莲花路****`,
/// `台北市信義區信義路五段7號` → `台北市信義區信義路五段****`.
///
/// The visible part ends at the last area or road unit before the first digit (house numbers,
/// buildings and rooms come after it); whatever follows is replaced by a fixed `****`, so its
/// length tells nothing. An address with no such unit (e.g. Latin script) is hidden whole.
pub fn address(address: &str) -> String {
    let address = address.trim();
    if address.is_empty() {
        return String::new();
    }
    let first_digit = address
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit() || ('０'..='９').contains(c))
        .map_or(address.len(), |(i, _)| i);
    let head = &address[..first_digit];
    let mut keep = 0;
    for (i, _) in head.char_indices() {
        let rest = &head[i..];
        let Some(unit) = ADDRESS_UNITS.iter().find(|u| rest.starts_with(*u)) else {
            continue;
        };
        // The unit must not be the tail of a building or compound word ending here.
        let end = i + unit.len();
        if !NOT_UNITS.iter().any(|w| head[..end].ends_with(w)) {
            keep = keep.max(end);
        }
    }
    if keep == address.len() {
        return address.to_string();
    }
    format!("{}{ADDRESS_HIDDEN}", &address[..keep])
}

/// A request path as it may be logged: a client may put a phone, an identity number or a name
/// where an id belongs (`/members/13812341234`), and the path goes into every log line of the
/// request. Runs of 7 or more digits and percent-encoded non-ASCII text (names, addresses)
/// become `*`; segments that are UUIDs (the ids this API gives out) stay whole.
pub fn request_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if uuid::Uuid::try_parse(segment).is_ok() {
                segment.to_string()
            } else {
                redact_segment(segment)
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn redact_segment(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = String::with_capacity(segment.len());
    let mut i = 0;
    while i < bytes.len() {
        // A run of percent-encoded bytes that are not ASCII: text in another script.
        let encoded = |at: usize| {
            bytes.get(at) == Some(&b'%')
                && bytes
                    .get(at + 1..at + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .is_some_and(|b| b >= 0x80)
        };
        if encoded(i) {
            while encoded(i) {
                i += 3;
            }
            out.push('*');
            continue;
        }
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits >= 7 {
            out.push('*');
            i += digits;
            continue;
        }
        // A short number, or one character of anything else, stays.
        let step = if digits > 0 {
            digits
        } else {
            segment[i..].chars().next().map_or(1, char::len_utf8)
        };
        out.push_str(&segment[i..i + step]);
        i += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_mask_like_the_card_shows() {
        assert_eq!(phone("13812341234"), "138****1234");
        assert_eq!(phone("0592-1234567"), "059****4567");
        assert_eq!(phone("12345"), "***45");
        assert_eq!(phone("2123456"), "*****56");
        assert_eq!(phone("21234567"), "******67");
        assert_eq!(phone("12"), "**");
    }

    #[test]
    fn identity_numbers_keep_head_and_tail() {
        assert_eq!(id_number("110101199003077777"), "11************7777");
        assert_eq!(id_number("35020319900307001X"), "35************001X");
        assert_eq!(
            id_number("350203900307001"),
            "35*********7001",
            "old 15-digit"
        );
        assert_eq!(id_number("A123456789"), "A*******89", "Taiwan ID");
        assert_eq!(id_number("E12345678"), "E******78", "passport");
        assert_eq!(
            id_number("12345678"),
            "1*****78",
            "Taiwan compatriot permit"
        );
        assert_eq!(id_number(" H1234567 "), "H*****67");
        assert_eq!(id_number("12345"), "****5");
        assert_eq!(id_number("123"), "***");
        assert_eq!(id_number(""), "");
        // The birth date never shows.
        assert!(!id_number("110101199003077777").contains("19900307"));
    }

    #[test]
    fn names_keep_the_surname() {
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("李小明"), "李**");
        assert_eq!(name("欧阳娜娜"), "欧阳**");
        assert_eq!(name("欧阳锋"), "欧阳*");
        assert_eq!(name("诸葛亮"), "诸葛*");
        assert_eq!(
            name("欧阳"),
            "欧*",
            "two characters are surname and given name"
        );
        assert_eq!(name("阿依古丽·买买提"), "阿***·***");
        assert_eq!(name("Chen Wei"), "C*** ***");
        assert_eq!(name(" 王五 "), "王*");
        assert_eq!(name("张"), "*");
        assert_eq!(name(""), "");
    }

    #[test]
    fn request_paths_lose_numbers_and_names_but_keep_ids() {
        assert_eq!(
            request_path("/api/v1/members/13812341234"),
            "/api/v1/members/*"
        );
        assert_eq!(
            request_path("/api/v1/members/%E5%BC%A0%E4%B8%89/card"),
            "/api/v1/members/*/card"
        );
        assert_eq!(
            request_path("/api/v1/x/A123456789"),
            "/api/v1/x/A*",
            "a Taiwan ID's digits"
        );
        assert_eq!(request_path("/api/v1/x/35020319900307001X"), "/api/v1/x/*X");
        let id = "01234567-8901-7234-8567-890123456789";
        assert_eq!(
            request_path(&format!("/api/v1/members/{id}")),
            format!("/api/v1/members/{id}")
        );
        for kept in [
            "/api/v1/workrooms/abc/plans/2026",
            "/api/v1/stats/membership",
            "/api/v1/members/a%20b",
            "/api/v1/x/123456",
            "/",
            "",
        ] {
            assert_eq!(request_path(kept), kept);
        }
        assert_eq!(request_path("/x/%e5%bc%a0"), "/x/*", "lowercase hex too");
        assert_eq!(request_path("/x/%E5"), "/x/*");
        assert_eq!(request_path("/x/%zz1234567"), "/x/%zz*");
        assert_eq!(
            request_path("/x/张三1234567"),
            "/x/张三*",
            "raw text is not expected, but safe"
        );
    }

    #[test]
    fn addresses_stop_at_the_road() {
        assert_eq!(
            address("福建省厦门市思明区莲花路123号4栋501室"),
            "福建省厦门市思明区莲花路****"
        );
        assert_eq!(
            address("思明区莲花路金山小区3号楼"),
            "思明区莲花路****",
            "a housing estate is part of the house"
        );
        assert_eq!(
            address("厦门市湖里区高殿村二组15号"),
            "厦门市湖里区高殿村****"
        );
        assert_eq!(
            address("台北市信義區信義路五段7號"),
            "台北市信義區信義路五段****"
        );
        assert_eq!(
            address("湖里区殿前街道高崎社区"),
            "湖里区殿前街道高崎社区",
            "nothing below the community to hide"
        );
        assert_eq!(address("思明区嘉莲街道１２号"), "思明区嘉莲街道****");
        assert_eq!(address("12 Main Street, Xiamen"), "****");
        assert_eq!(address("莲花路一百二十三号"), "莲花路****");
        assert_eq!(address(""), "");
        // No digit of the house number survives.
        assert!(!address("集美区银江路168号").contains("168"));
    }
}
