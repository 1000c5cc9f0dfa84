/** A tag as carried in a resource's `tags[]`. */
export interface ResourceTag {
  tag_id: string;
  tag_name: string;
  color?: string;
  [field: string]: unknown;
}
