//! Network plumbing shared by every probe: name resolution without NSS, connects
//! and streams bounded by the check's deadline, TLS.
