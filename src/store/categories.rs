//! Categories set at run time through the API.

use super::{Store, StoreError, keys, sled_err};
use crate::category::Category;

impl Store {
    /// Every category stored at run time.
    pub fn categories(&self) -> Result<Vec<Category>, StoreError> {
        self.db
            .scan_prefix(keys::CATEGORY_PREFIX)
            .map(|item| {
                let (k, v) = item.map_err(sled_err("load categories"))?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    what: format!("category {}", String::from_utf8_lossy(&k)),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Stores a category. Not durable until [`Store::flush`].
    pub fn put_category(&self, category: &Category) -> Result<(), StoreError> {
        self.ensure_writable()?;
        let json = serde_json::to_vec(category).expect("a Category always serialises");
        let inserted = self
            .db
            .insert(keys::category(&category.slug), json)
            .map_err(sled_err(format!("store category {}", category.slug)));
        self.note_failure(inserted).map(|_| ())
    }
}
