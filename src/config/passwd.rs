//! /etc/passwd lookups done by reading the file, never through NSS (the binary is
//! static: glibc's getpwnam would need NSS modules that an empty root does not have).

/// One account of /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// Parse passwd text; lines that are not 7 colon-separated fields with numeric ids are
/// skipped (NIS `+` lines, damage), since one bad line must not hide the others.
pub fn parse(text: &str) -> Vec<Account> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() != 7 || fields[0].is_empty() {
                return None;
            }
            Some(Account {
                name: fields[0].to_string(),
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
                home: fields[5].to_string(),
            })
        })
        .collect()
}

pub fn by_name<'a>(accounts: &'a [Account], name: &str) -> Option<&'a Account> {
    accounts.iter().find(|a| a.name == name)
}

pub fn by_uid(accounts: &[Account], uid: u32) -> Option<&Account> {
    accounts.iter().find(|a| a.uid == uid)
}

/// The name of `uid` from the /etc/passwd of `root`, for messages.
pub fn user_name(root: &crate::system::Root, uid: u32) -> Option<String> {
    let text = super::read_optional(root, "/etc/passwd").ok()??;
    by_uid(&parse(&text), uid).map(|a| a.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_accounts_and_skips_bad_lines() {
        let text = "root:x:0:0:root:/root:/bin/bash\n+nis\nbroken:x:abc:0::/:/x\nnova:x:42436:42436::/var/lib/nova:/sbin/nologin\n";
        let accounts = parse(text);
        assert_eq!(accounts.len(), 2);
        assert_eq!(by_name(&accounts, "nova").unwrap().uid, 42436);
        assert_eq!(by_uid(&accounts, 0).unwrap().home, "/root");
        assert!(by_name(&accounts, "broken").is_none());
    }
}
